//! Black-box tests of the `smartreach-hooks` binary. The tests are the `[[test]]` targets beside
//! this folder (`ingest.rs`, `delivery.rs`, `crash.rs`, `shutdown.rs`, `reload.rs`), with their
//! shared harness in `support/`; this library is empty.
