//! What the customer's case mails need of a case ([`CaseFacts`]), read inside the `notify`
//! consumer's transaction: the case itself, whether its goods must come back and where to
//! (the rule of [`crate::notify::return_address`]), its refunds, its decline note, the
//! replacement's parcel.

use crate::notify::case_mails::CaseFacts;
use crate::notify::return_address::{bought_through, return_to};
use crate::notify::templates::{LineSummary, TrackingInfo};
use crate::storage::cases::{self, StoredCase};
use crate::storage::{settings, Result, Tx};
use dropflow_core::after_sale::{CustomerSide, ReturnLeg};
use dropflow_core::reference::address::PostalAddress;
use sqlx::Row;

/// The case `case_id` as its mails need it; `None` when there is no such case.
/// `warehouse` is the agent warehouse's address, when this installation has one.
pub async fn read(
    tx: &mut Tx<'_>,
    case_id: &str,
    warehouse: Option<&PostalAddress>,
) -> Result<Option<CaseFacts>> {
    let Some(case) = cases::get_in(tx, case_id).await? else {
        return Ok(None);
    };
    // Read when the mail is written, not when the step was: goods already on their way back
    // need no instructions any more.
    let send_back = matches!(case.state.ret, ReturnLeg::Awaited);
    let return_address = if send_back {
        let suppliers = suppliers_of(tx, &case).await?;
        let merchant = settings::return_address_in(tx, case.store_id).await?;
        return_to(
            bought_through(suppliers.iter().map(String::as_str)),
            warehouse,
            merchant.as_ref(),
        )
        .label_lines()
    } else {
        Vec::new()
    };
    let declined_note = match &case.state.customer {
        CustomerSide::Declined { note } => Some(note.clone()),
        _ => None,
    };
    let replacement_tracking = match &case.state.customer {
        CustomerSide::ReplacementShipped { supplier_order_id } => {
            replacement_parcel(tx, supplier_order_id).await?
        }
        _ => None,
    };
    Ok(Some(CaseFacts {
        opened_by_store: case.opened_by.starts_with("store:"),
        lines: case
            .lines
            .iter()
            .map(|l| LineSummary {
                title: l.title.clone(),
                quantity: i64::from(l.quantity),
            })
            .collect(),
        resolution: Some(case.state.resolution.clone()),
        send_back,
        return_address,
        refunds: case.state.refunds.clone(),
        declined_note,
        replacement_tracking,
    }))
}

/// The suppliers of the order's live purchases that bought the claimed lines.
async fn suppliers_of(tx: &mut Tx<'_>, case: &StoredCase) -> Result<Vec<String>> {
    let positions: Vec<i64> = case.lines.iter().map(|l| l.line_position).collect();
    cases::suppliers_of_lines(tx, case.order_id, &positions).await
}

/// The replacement purchase's newest parcel with a tracking number.
async fn replacement_parcel(
    tx: &mut Tx<'_>,
    supplier_order_id: &str,
) -> Result<Option<TrackingInfo>> {
    let row = sqlx::query(
        "SELECT tracking_number, carrier, tracking_url FROM shipments
         WHERE supplier_order_id = $1 AND tracking_number IS NOT NULL
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(supplier_order_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(TrackingInfo {
        number: row.try_get("tracking_number")?,
        carrier: row.try_get("carrier")?,
        url: row.try_get("tracking_url")?,
    }))
}
