//! The merchant dashboard.

/// The home page charts, drawn as SVG on the server.
pub mod charts;
