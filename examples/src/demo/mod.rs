//! The demo applications, one module per framework.

pub mod actix;
pub mod axum;
pub mod rocket;
pub mod warp;
