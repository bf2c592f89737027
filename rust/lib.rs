//! The byte work of wsrs: the WebSocket frame codec and the HTTP/1.1 head, body and chunked codecs.
//!
//! Pure Rust modules (`ws`, `http`) never touch pyo3, so `cargo test --no-default-features`, the
//! criterion benches and the cargo-fuzz targets build without Python. `py` is the only adapter.

pub mod http;
pub mod ws;

#[cfg(feature = "python")]
mod py;
