//! Exit codes of SPEC §9 and the error that carries one to `main`.
//!
//! 0 success; 2 usage or config error; 3 authentication error; 4 API error; 5 no region can
//! take the launch.

use std::fmt;

/// Usage or config error.
pub const USAGE: u8 = 2;
/// Authentication error (no credentials, token refused).
pub const AUTH: u8 = 3;
/// An API error that stopped the command.
pub const API: u8 = 4;
/// No region can take the launch.
pub const NO_REGION: u8 = 5;

/// A failure that ends the process with `code`, printing `message` on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// Exit 2: bad arguments or configuration.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: USAGE,
            message: message.into(),
        }
    }
    /// Exit 3: no credentials or a refused token.
    pub fn auth(message: impl Into<String>) -> Self {
        Failure {
            code: AUTH,
            message: message.into(),
        }
    }
    /// Exit 4: an API error.
    pub fn api(message: impl Into<String>) -> Self {
        Failure {
            code: API,
            message: message.into(),
        }
    }
    /// Exit 5: no region can take the launch.
    pub fn no_region(message: impl Into<String>) -> Self {
        Failure {
            code: NO_REGION,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl From<crate::gcp::ApiError> for Failure {
    /// Auth errors exit 3, every other API error 4.
    fn from(e: crate::gcp::ApiError) -> Self {
        if e.kind == crate::gcp::ErrorKind::Auth {
            Failure::auth(e.to_string())
        } else {
            Failure::api(e.to_string())
        }
    }
}
