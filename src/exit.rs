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

/// The exit status of a pass over checks (`check`, `warm --once`; SPEC §9), one rule for
/// both: `Ok` (exit 0) when any check returned a value, or none ran; exit 3 when every
/// check failed authentication; exit 4 when every check failed otherwise. The message
/// counts the failures by kind (e.g. `no check returned a value: 38 failed (20 auth, 18
/// permission)`), never repeating what the output already said.
pub fn for_checks<'a, T: 'a>(
    results: impl IntoIterator<Item = &'a Result<T, crate::gcp::ApiError>>,
) -> Result<(), Failure> {
    use crate::gcp::ErrorKind;
    let mut kinds: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let mut failed = 0;
    let mut auth = 0;
    for r in results {
        match r {
            Ok(_) => return Ok(()),
            Err(e) => {
                failed += 1;
                auth += usize::from(e.kind == ErrorKind::Auth);
                *kinds.entry(e.kind.as_str()).or_default() += 1;
            }
        }
    }
    if failed == 0 {
        return Ok(());
    }
    let by_kind = kinds
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let message = format!("no check returned a value: {failed} failed ({by_kind})");
    if auth == failed {
        Err(Failure::auth(message))
    } else {
        Err(Failure::api(message))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcp::{ApiError, ErrorKind};

    fn err(kind: ErrorKind) -> Result<i64, ApiError> {
        Err(ApiError::new(kind, "x"))
    }

    #[test]
    fn one_value_is_success_all_auth_is_3_any_other_all_failed_is_4() {
        assert_eq!(for_checks(&[err(ErrorKind::Auth), Ok(0)]), Ok(()));
        assert_eq!(for_checks(&Vec::<Result<i64, ApiError>>::new()), Ok(()));
        let f = for_checks(&[err(ErrorKind::Auth), err(ErrorKind::Auth)]).unwrap_err();
        assert_eq!(f.code, AUTH);
        assert_eq!(f.message, "no check returned a value: 2 failed (2 auth)");
        for other in [
            ErrorKind::Permission,
            ErrorKind::NotFound,
            ErrorKind::ServiceDisabled,
        ] {
            let f = for_checks(&[err(ErrorKind::Auth), err(other)]).unwrap_err();
            assert_eq!(f.code, API, "{other}");
            let f = for_checks(&[err(other)]).unwrap_err();
            assert_eq!(f.code, API, "{other}");
        }
    }
}
