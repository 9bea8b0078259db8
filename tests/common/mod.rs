pub mod fake_source;
pub mod quota_server;
