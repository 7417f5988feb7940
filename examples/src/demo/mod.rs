//! The demo applications, one module per framework.

pub mod axum;
pub mod warp;
