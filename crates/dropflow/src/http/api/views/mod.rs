//! What the API answers: its own types, apart from the storage rows and action outputs they
//! are made from, so a column added, renamed or dropped cannot change the public contract
//! unnoticed (a row that loses a field stops the `From` here from compiling; a new column
//! is not served until a view names it). Their docs are the OpenAPI document's, and their
//! names its component names.
//!
//! One module per resource. Each view is declared with `view!`, which writes the struct and
//! its `From` the row from one list of fields. The fields are private: a view is only made
//! from its row, and only serialized.

/// Orders: the list page, the detail with lines and timeline, the raw webhook delivery.
pub mod orders;
/// The supplier side of an order: purchases with their items, parcels.
pub mod purchases;
/// Flags a person settles, and what buying a difference made.
pub mod flags;
/// The warehouse leg: items, inbound parcels, packages, scan exceptions, settings.
pub mod warehouse;
/// A store's automation settings.
pub mod settings;
/// A store's catalogue policy (stock to publish, price rule).
pub mod catalogue;
/// Product mappings.
pub mod mappings;
/// Ledger entries of the wallet.
pub mod wallet;
/// Wallet top-ups paid by card.
pub mod top_ups;
/// The job queue.
pub mod jobs;
/// A user's API tokens.
pub mod tokens;
/// Profit per order and per group of orders; the payment-fee rule.
pub mod profit;
/// The products list.
pub mod products;

/// Every row of `rows` as its view (a list field, or a list answer).
pub fn each<R, V: From<R>>(rows: Vec<R>) -> Vec<V> {
    rows.into_iter().map(V::from).collect()
}

/// Declares a view: the served struct (`Serialize`, its OpenAPI schema named after it) and
/// `From<row>`, taking each field of the row as it is, or through the function after `=>`
/// (a nested row becomes its view: `=> Summary::from`, a list of them: `=> each`).
///
/// `from and into` also gives the row back from the view, for a view that is a request body
/// too (settings sent back as they were read); such a view derives `Deserialize` itself.
macro_rules! view {
    (
        $(#[$attr:meta])*
        pub struct $name:ident from and into $row:ty {
            $($(#[$field_attr:meta])* $field:ident: $ty:ty,)*
        }
    ) => {
        view! {
            $(#[$attr])*
            pub struct $name from $row {
                $($(#[$field_attr])* $field: $ty,)*
            }
        }

        impl From<$name> for $row {
            fn from(view: $name) -> Self {
                Self { $($field: view.$field,)* }
            }
        }
    };
    (
        $(#[$attr:meta])*
        pub struct $name:ident from $row:ty {
            $($(#[$field_attr:meta])* $field:ident: $ty:ty $(=> $convert:expr)?,)*
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            $($(#[$field_attr])* $field: $ty,)*
        }

        impl From<$row> for $name {
            fn from(row: $row) -> Self {
                Self { $($field: view!(@take row.$field $(, $convert)?),)* }
            }
        }
    };
    (@take $value:expr) => { $value };
    (@take $value:expr, $convert:expr) => { $convert($value) };
}
use view;
