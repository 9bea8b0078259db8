pub mod fake_source;
pub mod google_proxy;
pub mod quota_server;
pub mod redis_server;
