//! The demo applications, one module per framework.

pub mod axum;
pub mod warp;
pub mod actix;
pub mod rocket;
