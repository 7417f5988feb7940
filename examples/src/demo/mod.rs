//! The demo applications, one module per framework.
