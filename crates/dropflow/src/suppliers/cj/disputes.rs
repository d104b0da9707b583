//! Refunds asked of CJ through its disputes (after-sale claims on an order's goods), the
//! sequence CJ's "7 Dispute" page documents
//! (https://developers.cjdropshipping.com/en/api/api2/api/dispute.html; our notes:
//! `docs/protocols/after-sale.md` §4):
//!
//! 1. `GET disputes/getDisputeList?orderId=`: read back first. What CJ answers to a repeated
//!    `businessDisputeId` is not documented, so a dispute already open for these goods (an
//!    earlier try whose answer was lost) is found before anything is created;
//! 2. `GET disputes/disputeProducts?orderId=`: the order's lines; ours are those whose
//!    `cjVariantId` is one of the request's vids, with every unit CJ lets us dispute;
//! 3. `POST disputes/disputeConfirmInfo` with those entries as CJ gave them (a third party
//!    found reshaped entries refused, after-sale.md §4): `maxAmount` and the reasons;
//! 4. `POST disputes/create`: a refund to our CJ balance of min(asked, `maxAmount`), shared
//!    over the lines by their value, under the reason CJ lists for our claim
//!    ([`dispute_wire::claim_of`]), keyed by our reference as `businessDisputeId`. The id is
//!    taken from the answer when there is one, else read back from the list.
//!
//! A refusal by CJ (order not paid, window closed, nothing left to refund) is
//! `ReturnAnswer::Refused` with CJ's code and message; no answer is an error, and the caller's
//! retry finds the dispute in step 1 if CJ did open it. Logs carry our reference, CJ's order
//! and dispute ids and CJ's codes only.

use super::dispute_wire::{self, AskedLine, ConfirmInfo, DisputeEntry, DisputePage, ProductInfo};
use super::transformers::decode;
use super::transport::{Call, CallError};
use super::Cj;
use crate::suppliers::{ReturnAnswer, ReturnCheck, ReturnRequest, ReturnStatus};
use dropflow_core::supplier::SupplierError;
use serde_json::{json, Value};

/// Disputes per page when listing an order's (CJ's default is 10).
const DISPUTE_PAGE_SIZE: u64 = 50;
/// Pages read before giving up: 250 disputes on one order is far past any real one.
const DISPUTE_PAGES: u64 = 5;

fn refused(detail: impl Into<String>) -> ReturnAnswer {
    ReturnAnswer::Refused {
        detail: detail.into(),
    }
}

/// What the request asks for, checked before anything is sent.
struct Asked {
    reference: String,
    order_id: String,
    vids: Vec<String>,
    cents: i64,
}

fn checked(request: &ReturnRequest) -> Result<Asked, String> {
    let reference = request.reference.trim();
    if reference.is_empty() || reference.chars().count() > dispute_wire::MAX_BUSINESS_ID {
        return Err(format!(
            "our reference must be 1–{} characters for CJ's businessDisputeId",
            dispute_wire::MAX_BUSINESS_ID
        ));
    }
    let order_id = request.supplier_order_id.trim();
    if order_id.is_empty() {
        return Err("no CJ order id".to_string());
    }
    // CJ prices, charges and refunds in USD (every amount on the dispute page is "Unit: $").
    if request.amount.currency.code() != "USD" {
        return Err(format!(
            "CJ refunds in USD and the amount asked is in {}",
            request.amount.currency.code()
        ));
    }
    if request.amount.minor <= 0 {
        return Err("no amount to ask CJ for".to_string());
    }
    let mut vids: Vec<String> = Vec::new();
    for vid in &request.supplier_sku_ids {
        let vid = vid.trim();
        if !vid.is_empty() && !vids.iter().any(|v| v == vid) {
            vids.push(vid.to_string());
        }
    }
    if vids.is_empty() {
        return Err("no CJ variant (vid) named to dispute".to_string());
    }
    Ok(Asked {
        reference: reference.to_string(),
        order_id: order_id.to_string(),
        vids,
        cents: request.amount.minor,
    })
}

impl Cj {
    /// [`crate::suppliers::Supplier::request_return`] for CJ.
    pub(super) async fn open_dispute(
        &self,
        request: &ReturnRequest,
    ) -> Result<ReturnAnswer, SupplierError> {
        let asked = match checked(request) {
            Ok(asked) => asked,
            Err(detail) => return Ok(refused(detail)),
        };
        let (reference, order_id) = (asked.reference.as_str(), asked.order_id.as_str());

        // 1. Read back before creating.
        let existing = self.order_disputes(order_id).await?;
        if let Some(found) = ours(&existing, reference, &asked.vids) {
            tracing::info!(
                reference,
                order_id,
                dispute_id = found.id().as_deref().unwrap_or_default(),
                "cj: a dispute is already open for these goods"
            );
            return Ok(ReturnAnswer::AlreadyRequested);
        }

        // 2. The order's lines CJ lets us dispute.
        let query = vec![("orderId", order_id.to_string())];
        let products = match self
            .call(Call::get("disputes/disputeProducts", query))
            .await
        {
            Ok(data) => data,
            Err(error) => return self.refusal(error, reference, order_id),
        };
        let products: dispute_wire::DisputeProducts = if products.is_null() {
            Default::default()
        } else {
            decode(&products, "disputeProducts")?
        };
        let mut chosen: Vec<(Value, ProductInfo)> = Vec::new();
        for vid in &asked.vids {
            let lines: Vec<(Value, ProductInfo)> = products
                .product_info_list
                .iter()
                .filter_map(|raw| {
                    let info: ProductInfo = serde_json::from_value(raw.clone()).ok()?;
                    (info.vid().as_deref() == Some(vid.as_str())).then(|| (raw.clone(), info))
                })
                .collect();
            if lines.is_empty() {
                return Ok(refused(format!(
                    "CJ lists no line of order {order_id} with variant {vid}"
                )));
            }
            if let Some((_, line)) = lines.iter().find(|(_, l)| !l.can_choose()) {
                return Ok(refused(format!(
                    "CJ takes no dispute on variant {vid} of order {order_id} now \
                     (canChoose false, {} units open to a dispute): an unfinished dispute \
                     or the end of the dispute window",
                    line.quantity()
                )));
            }
            chosen.extend(lines);
        }

        // 3. The most CJ refunds for them, and its reasons.
        let body = json!({
            "orderId": order_id,
            "productInfoList": chosen.iter().map(|(raw, _)| raw.clone()).collect::<Vec<_>>(),
        });
        let confirm = match self
            .call(Call::post("disputes/disputeConfirmInfo", body))
            .await
        {
            Ok(data) => data,
            Err(error) => return self.refusal(error, reference, order_id),
        };
        let confirm: ConfirmInfo = decode(&confirm, "disputeConfirmInfo")?;
        if !confirm.offers_refund() {
            return Ok(refused(format!(
                "CJ offers no refund on order {order_id}, only a reissue"
            )));
        }
        let max = confirm.max_amount().ok_or_else(|| {
            SupplierError::Protocol("disputeConfirmInfo answered no maxAmount".to_string())
        })?;
        if max.minor <= 0 {
            return Ok(refused(format!(
                "CJ has nothing left to refund on order {order_id}"
            )));
        }
        let cents = asked.cents.min(max.minor);
        let claim = dispute_wire::claim_of(&request.reason);
        let offered = confirm.reasons();
        let Some(reason_id) = dispute_wire::reason_for(claim, &offered) else {
            let names: Vec<&str> = offered.iter().map(|(_, n)| n.as_str()).collect();
            return Ok(refused(format!(
                "none of CJ's dispute reasons for order {order_id} fits a {claim:?} claim \
                 (CJ offers: {}); open it in CJ's dashboard",
                names.join(", ")
            )));
        };

        // 4. Create.
        let weights: Vec<i64> = chosen.iter().map(|(_, l)| l.value_cents()).collect();
        let lines: Vec<AskedLine> = chosen
            .iter()
            .zip(dispute_wire::split(cents, &weights))
            .map(|((_, line), share)| AskedLine {
                line_item_id: line.line_item_id(),
                quantity: line.quantity(),
                cents: share,
            })
            .collect();
        let body =
            dispute_wire::create_body(reference, order_id, reason_id, &request.reason, &lines);
        match self.call(Call::post("disputes/create", body)).await {
            Ok(data) => {
                let id = match dispute_wire::created_id(&data) {
                    Some(id) => id,
                    None => self.read_back(reference, order_id, &asked.vids).await?,
                };
                tracing::info!(reference, order_id, dispute_id = %id, cents, "cj: dispute opened");
                Ok(ReturnAnswer::Requested { refund_id: id })
            }
            Err(CallError::Api { code, message }) if dispute_wire::says_duplicate(&message) => {
                tracing::info!(
                    reference,
                    order_id,
                    code,
                    "cj: businessDisputeId already used"
                );
                Ok(ReturnAnswer::AlreadyRequested)
            }
            Err(error) => self.refusal(error, reference, order_id),
        }
    }

    /// [`crate::suppliers::Supplier::return_status`] for CJ: the dispute by its id, else by
    /// our reference (when CJ lists it), else the order's newest dispute.
    pub(super) async fn dispute_status(
        &self,
        check: &ReturnCheck,
    ) -> Result<ReturnStatus, SupplierError> {
        let order_id = check.supplier_order_id.trim();
        let disputes = self.order_disputes(order_id).await?;
        let found = match check.request_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => disputes.iter().find(|d| d.id().as_deref() == Some(id)),
            _ => disputes
                .iter()
                .find(|d| d.business_dispute_id().as_deref() == Some(check.reference.trim()))
                .or_else(|| {
                    let unnamed = disputes
                        .iter()
                        .filter(|d| d.business_dispute_id().is_none());
                    unnamed.max_by_key(|d| d.created())
                }),
        };
        match found {
            Some(dispute) => dispute.status(),
            None => Ok(ReturnStatus::NotFound),
        }
    }

    /// Every dispute on an order (`getDisputeList?orderId=`, paged).
    async fn order_disputes(&self, order_id: &str) -> Result<Vec<DisputeEntry>, SupplierError> {
        let mut all = Vec::new();
        for page in 1..=DISPUTE_PAGES {
            let query = vec![
                ("orderId", order_id.to_string()),
                ("pageNum", page.to_string()),
                ("pageSize", DISPUTE_PAGE_SIZE.to_string()),
            ];
            let data = self
                .fetch(Call::get("disputes/getDisputeList", query))
                .await?;
            let list: DisputePage = if data.is_null() {
                DisputePage::default()
            } else {
                decode(&data, "getDisputeList")?
            };
            let short = (list.list.len() as u64) < DISPUTE_PAGE_SIZE;
            let total = list.total();
            all.extend(list.list);
            if short || total.is_some_and(|t| all.len() as u64 >= t) {
                break;
            }
        }
        Ok(all)
    }

    /// The id of the dispute `create` just opened, from the order's list.
    async fn read_back(
        &self,
        reference: &str,
        order_id: &str,
        vids: &[String],
    ) -> Result<String, SupplierError> {
        let disputes = self.order_disputes(order_id).await?;
        ours(&disputes, reference, vids)
            .and_then(DisputeEntry::id)
            .ok_or_else(|| {
                SupplierError::Protocol(format!(
                    "CJ accepted dispute {reference} on order {order_id} but does not list it"
                ))
            })
    }

    /// A call's failure in return terms: CJ's refusal is `Refused` with its code and message;
    /// no answer is an error for the caller to retry.
    fn refusal(
        &self,
        error: CallError,
        reference: &str,
        order_id: &str,
    ) -> Result<ReturnAnswer, SupplierError> {
        match error {
            CallError::Api { code, message } => {
                tracing::warn!(reference, order_id, code, "cj: dispute refused");
                Ok(refused(format!("CJ {code}: {message}")))
            }
            CallError::Supplier(error) => Err(error),
        }
    }
}

/// Our dispute among an order's: the one CJ lists under our reference; or, when CJ lists no
/// reference, an open one on any of our variants (CJ holds a line with an unfinished
/// dispute, `canChoose` false, so a second one could not be opened anyway).
fn ours<'a>(
    disputes: &'a [DisputeEntry],
    reference: &str,
    vids: &[String],
) -> Option<&'a DisputeEntry> {
    disputes
        .iter()
        .find(|d| d.business_dispute_id().as_deref() == Some(reference))
        .or_else(|| {
            disputes
                .iter()
                .find(|d| d.business_dispute_id().is_none() && d.is_open() && d.covers_any(vids))
        })
}
