//! A marketplace vendor who buys and ships by hand: no connector, no API. Placing hands the
//! purchase over (the vendor is mailed and sees it on the vendor page); tracking is entered
//! by the vendor, and a cancellation is the vendor's to stop.

use dropflow_core::supplier::Capabilities;

/// A person does it all.
pub const CAPABILITIES: Capabilities = Capabilities {
    hands_over_to_person: true,
    ..Capabilities::NONE
};
