//! PLACEHOLDER — helper is writing this.
pub mod shopify;
pub mod woocommerce;
