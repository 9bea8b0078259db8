pub mod fake_source;
