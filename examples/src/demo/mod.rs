//! The demo applications, one module per framework.

pub mod actix;
pub mod axum;
pub mod page;
pub mod rocket;
pub mod serve;
pub mod warp;
