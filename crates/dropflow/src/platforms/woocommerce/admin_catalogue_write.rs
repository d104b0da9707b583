//! Writing variants' stock, price and status in as few calls as WooCommerce allows: the
//! simple products in `POST products/batch`, each variable product's variations in one
//! `POST products/{id}/variations/batch`, at most 100 objects per call (more is 413
//! `woocommerce_rest_request_entity_too_large` and nothing is saved). So 100 variants cost
//! one call when they are simple products or variations of one product, and one call per
//! product they span otherwise.
//!
//! Each item is saved on its own and answered in its place: the object as saved, or
//! `{"id", "error": {"code", "message", "data"}}`, which is that variant's refusal. The
//! answer is also checked against what was sent, because WooCommerce drops some writes
//! without an error: stock while the store's stock management is off, a price on a variable
//! product. A call that fails as a whole (429, 5xx, timeout, credentials) ends the write with
//! `Err` and the caller repeats the batch; every value is absolute, so the calls already made
//! land on the same values again. Logs carry counts and ids, never the store's data.

use super::admin::WooAdmin;
use super::admin_catalogue::PAGE_SIZE;
use super::admin_catalogue_wire::{is_price, item_result, update_entry, Target};
use crate::platforms::admin::StoreApiError;
use crate::platforms::admin_catalogue::{VariantWrite, VariantWritten, WriteResult};
use reqwest::Method;
use serde_json::{json, Value};

/// One batch request: its path and the `update` entries, each with the index of its write.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BatchCall {
    pub path: String,
    pub items: Vec<(usize, Value)>,
}

/// The calls for `writes`, and the writes answered without a call (refused here, or with
/// nothing to change).
pub(super) fn plan(writes: &[VariantWrite]) -> (Vec<BatchCall>, Vec<(usize, WriteResult)>) {
    let mut groups: Vec<(String, Vec<(usize, Value)>)> = Vec::new();
    let mut answered = Vec::new();
    for (index, write) in writes.iter().enumerate() {
        let target = Target::of(write);
        let (Ok(variant), Ok(product)) = (
            write.variant_id.trim().parse::<u64>(),
            write.product_id.trim().parse::<u64>(),
        ) else {
            answered.push((
                index,
                WriteResult::Refused(format!(
                    "{:?} of {:?} is not a WooCommerce id",
                    write.variant_id, write.product_id
                )),
            ));
            continue;
        };
        if let Some(price) = write.price.as_deref().filter(|p| !is_price(p.trim())) {
            answered.push((
                index,
                WriteResult::Refused(format!("{price:?} is not a price")),
            ));
            continue;
        }
        if write.price.is_none() && write.stock.is_none() && write.published.is_none() {
            answered.push((index, WriteResult::Written));
            continue;
        }
        let path = match target {
            Target::Product => "products/batch".to_string(),
            Target::Variation => format!("products/{product}/variations/batch"),
        };
        let entry = update_entry(variant, write, target);
        match groups.iter_mut().find(|(p, _)| *p == path) {
            Some((_, items)) => items.push((index, entry)),
            None => groups.push((path, vec![(index, entry)])),
        }
    }
    let calls = groups
        .into_iter()
        .flat_map(|(path, items)| {
            items
                .chunks(PAGE_SIZE)
                .map(|chunk| BatchCall {
                    path: path.clone(),
                    items: chunk.to_vec(),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    (calls, answered)
}

/// Each item's result from a batch answer, in the order sent.
pub(super) fn read_answer(
    call: &BatchCall,
    answer: &Value,
) -> Result<Vec<(usize, WriteResult)>, StoreApiError> {
    let mismatch = || {
        StoreApiError::Protocol(format!(
            "{}: the answer does not answer the {} items sent",
            call.path,
            call.items.len()
        ))
    };
    let answered = answer
        .get("update")
        .and_then(Value::as_array)
        .ok_or_else(mismatch)?;
    if answered.len() != call.items.len() {
        return Err(mismatch());
    }
    call.items
        .iter()
        .zip(answered)
        .map(|((index, entry), item)| match item_result(entry, item) {
            Ok(()) => Ok((*index, WriteResult::Written)),
            Err(Some(why)) => Ok((*index, WriteResult::Refused(why))),
            Err(None) => Err(mismatch()),
        })
        .collect()
}

impl WooAdmin {
    pub(super) async fn write_catalogue(
        &self,
        writes: &[VariantWrite],
    ) -> Result<Vec<VariantWritten>, StoreApiError> {
        if writes.len() > PAGE_SIZE {
            return Err(StoreApiError::Refused(format!(
                "{} variants in one write; WooCommerce takes at most {PAGE_SIZE}",
                writes.len()
            )));
        }
        let (calls, mut results) = plan(writes);
        // One call at a time: a WordPress site is often one small PHP host.
        for call in &calls {
            let entries: Vec<&Value> = call.items.iter().map(|(_, entry)| entry).collect();
            let body = json!({ "update": entries });
            let answer: Value = self
                .call_with(Method::POST, &call.path, &[], Some(&body))
                .await
                .inspect_err(|error| {
                    tracing::warn!(path = %call.path, items = call.items.len(), %error,
                        "woocommerce: catalogue batch failed");
                })?;
            results.extend(read_answer(call, &answer)?);
        }
        let refused = results
            .iter()
            .filter(|(_, r)| matches!(r, WriteResult::Refused(_)))
            .count();
        tracing::info!(
            variants = writes.len(),
            calls = calls.len(),
            refused,
            "woocommerce: catalogue written"
        );
        let mut by_index: Vec<Option<WriteResult>> = vec![None; writes.len()];
        for (index, result) in results {
            if let Some(slot) = by_index.get_mut(index) {
                *slot = Some(result);
            }
        }
        writes
            .iter()
            .zip(by_index)
            .map(|(write, result)| {
                let result = result.ok_or_else(|| {
                    StoreApiError::Protocol(format!("no answer for variant {}", write.variant_id))
                })?;
                Ok(VariantWritten {
                    variant_id: write.variant_id.clone(),
                    result,
                })
            })
            .collect()
    }
}
