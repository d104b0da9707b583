//! The demo's after-sale phase: once the orders are delivered, cases are opened on some of
//! them through the API, as a merchant would — a full refund, a partial refund, a reship, a
//! return-first case and an exchange for another variant in turn — a few WooCommerce orders
//! are refunded by hand in the store (wp-admin), which dropflow reads back into cases, and a
//! few Shopify orders are disputed by the customer's bank (chargebacks, delivered twice, one
//! later won). All are carried out on both sides
//! with the sandboxes' faults on: the customer refunded through the store's API, the
//! supplier asked, replacements bought. The summary then compares every case's refunds with
//! what the store sandboxes actually paid back.

use super::world::World;
use crate::platforms::admin_refund::marker;
use anyhow::Context;
use dropflow_core::after_sale::{CaseMoney, CaseState, CustomerSide, Resolution, ReturnLeg};
use dropflow_core::money::Money;
use dropflow_core::reference::currency::Currency;
use serde_json::{json, Value};
use sqlx::Row;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// At most this many cases, one per tenth delivered order.
const MOST_CASES: usize = 40;

/// Shopify orders whose payment the customer's bank disputes.
const CHARGEBACKS: usize = 3;

/// Shopify orders whose customer asks for a return in the shop (Shopify Returns).
const STORE_RETURNS: usize = 4;

/// Opens the cases and waits (until `deadline`) for every refund to be made or refused.
pub async fn run(world: &World, client: &reqwest::Client, deadline: Instant) -> anyhow::Result<()> {
    let delivered: Vec<String> =
        sqlx::query("SELECT id FROM orders WHERE tab = 'delivered' ORDER BY id")
            .fetch_all(&world.db.reader)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
    let picked = delivered.iter().step_by(10).take(MOST_CASES);
    for (i, order) in picked.enumerate() {
        open_case(world, client, order, i).await?;
    }
    let by_hand: Vec<u64> = sqlx::query(
        // Orders no case touched yet (a unit the merchant's case already refunded cannot be
        // refunded again by hand: WooCommerce refuses it, "Invalid refund amount"), and not
        // edited by the demo's changes (the WooCommerce sandbox keeps the order as first
        // sent, so its `order.updated` would put removed lines back).
        "SELECT o.external_id FROM orders o JOIN stores s ON s.id = o.store_id
         WHERE o.tab = 'delivered' AND s.platform = 'woocommerce'
           AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.order_id = o.id)
           AND NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id
                AND e.kind = 'order_edited')
         ORDER BY o.id",
    )
    .fetch_all(&world.db.reader)
    .await?
    .iter()
    .filter_map(|r| r.try_get::<String, _>("external_id").ok()?.parse().ok())
    .skip(5)
    .step_by(25)
    .take(MOST_CASES / 5)
    .collect();
    for order in by_hand {
        refund_in_wp_admin(world, client, order).await?;
    }
    let disputed: Vec<(u64, i64, String)> = sqlx::query(
        "SELECT o.external_id, o.total_minor, o.currency FROM orders o
         JOIN stores s ON s.id = o.store_id
         WHERE o.tab = 'delivered' AND s.platform = 'shopify' ORDER BY o.id DESC",
    )
    .fetch_all(&world.db.reader)
    .await?
    .iter()
    .filter_map(|r| {
        let external: u64 = r.try_get::<String, _>("external_id").ok()?.parse().ok()?;
        Some((
            external,
            r.try_get("total_minor").ok()?,
            r.try_get("currency").ok()?,
        ))
    })
    .take(CHARGEBACKS)
    .collect();
    for (n, (order, total, currency)) in disputed.into_iter().enumerate() {
        chargeback(world, client, n, order, total, &currency).await?;
    }
    let returned: Vec<(u64, u64)> = sqlx::query(
        "SELECT o.external_id, l.external_id AS line FROM orders o
         JOIN stores s ON s.id = o.store_id
         JOIN order_lines l ON l.order_id = o.id AND l.position = 0
         WHERE o.tab = 'delivered' AND s.platform = 'shopify'
           AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.order_id = o.id)
         ORDER BY o.id",
    )
    .fetch_all(&world.db.reader)
    .await?
    .iter()
    .filter_map(|r| {
        let order = r.try_get::<String, _>("external_id").ok()?.parse().ok()?;
        let line = r.try_get::<String, _>("line").ok()?.parse().ok()?;
        Some((order, line))
    })
    .skip(7)
    .step_by(30)
    .take(STORE_RETURNS)
    .collect();
    for (n, (order, line)) in returned.into_iter().enumerate() {
        store_return(world, client, n, order, line).await?;
    }
    super::case_work::run(world, client, deadline).await?;
    while (refunds_waiting(world).await? > 0 || case_work_left(world).await? > 0)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(())
}

/// Case jobs still queued or running that settle what the summary checks (the follower's
/// periodic looks at suppliers are left out: they never stop while a supplier is asked).
async fn case_work_left(world: &World) -> anyhow::Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running')
           AND kind IN ('case.refund_customer', 'case.read_store_refunds', 'case.ask_supplier',
                        'case.order_replacement')",
    )
    .fetch_one(&world.db.reader)
    .await?
    .try_get("n")?)
}

/// Opens case number `i` on `order`'s first line (one unit).
async fn open_case(
    world: &World,
    client: &reqwest::Client,
    order: &str,
    i: usize,
) -> anyhow::Result<()> {
    let base = world.running.base_url();
    let detail: Value = client
        .get(format!("{base}/api/v1/orders/{order}"))
        .bearer_auth(&world.token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let line = &detail["lines"][0];
    let currency = Currency::from_code(detail["currency"].as_str().unwrap_or_default())
        .map_err(|e| anyhow::anyhow!("order {order}: {e}"))?;
    let unit = line["unit_price_minor"].as_i64().context("unit price")?;
    let money = |minor: i64| Money::new(minor, currency).to_decimal_string();
    let other_variant = match i % 5 {
        4 => another_mapped_variant(world, &detail).await?,
        _ => None,
    };
    let (reason, resolution) = match (i % 5, other_variant) {
        (0, _) => ("damaged", json!({ "kind": "refund", "goods": money(unit) })),
        (1, _) => (
            "changed_mind",
            json!({ "kind": "refund", "goods": money(unit / 2) }),
        ),
        (3, _) => ("not_as_described", json!({ "kind": "return_first" })),
        (4, Some(exchange)) => ("changed_mind", exchange),
        // A reship; also an exchange with no other variant of the store to exchange for.
        _ => ("wrong_item", json!({ "kind": "reship" })),
    };
    let body = json!({ "reason": reason, "resolution": resolution,
        "lines": [{ "line_id": line["external_id"], "quantity": 1 }] });
    let response = client
        .post(format!("{base}/api/v1/orders/{order}/cases"))
        .bearer_auth(&world.token)
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(
        response.status() == reqwest::StatusCode::CREATED,
        "opening a case on order {order} answered {}: {}",
        response.status(),
        response.text().await.unwrap_or_default()
    );
    Ok(())
}

/// A variant of the order's store, other than its first line's, that dropflow can buy (its
/// SKU has a mapping), as the store's orders show it: what an exchange sends instead, with
/// its SKU since the demo's mappings are by SKU.
async fn another_mapped_variant(world: &World, order: &Value) -> anyhow::Result<Option<Value>> {
    let store = order["store_id"].as_str().context("store id")?;
    let own = order["lines"][0]["sku"].as_str().unwrap_or_default();
    let row = sqlx::query(
        "SELECT l.variant_id, l.sku FROM order_lines l JOIN orders o ON o.id = l.order_id
         JOIN mappings m ON m.store_id = o.store_id AND m.key_kind = 'sku'
            AND m.key_value = l.sku
         WHERE o.store_id = $1 AND l.sku <> $2 AND l.variant_id IS NOT NULL
         ORDER BY l.sku LIMIT 1",
    )
    .bind(store)
    .bind(own)
    .fetch_optional(&world.db.reader)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let variant: String = row.try_get("variant_id")?;
    let sku: String = row.try_get("sku")?;
    Ok(Some(
        json!({ "kind": "exchange", "variant_id": variant, "sku": sku }),
    ))
}

fn return_word(leg: &ReturnLeg) -> &'static str {
    match leg {
        ReturnLeg::NotNeeded => "not_needed",
        ReturnLeg::Awaited => "awaited",
        ReturnLeg::InTransit { .. } => "in_transit",
        ReturnLeg::Delivered { .. } => "delivered",
        ReturnLeg::Restocked => "restocked",
        ReturnLeg::Disposed => "disposed",
    }
}

/// The customer of Shopify order `order` asks in the shop to send one unit of `line` back;
/// Shopify sends `returns/request`. Then, by turn: the merchant approves it and refunds it in
/// the Shopify admin (`returns/approve`, then a `refunds/create` naming the return); declines
/// it (`returns/decline`); or approves it and leaves the rest to dropflow's case (the return
/// sent, restocked, decided).
async fn store_return(
    world: &World,
    client: &reqwest::Client,
    n: usize,
    order: u64,
    line: u64,
) -> anyhow::Result<()> {
    use dropflow_sandbox::shopify::returns::{ReturnTopic, SandboxReturn};
    let reason = ["defective", "size_too_small", "wrong_item", "unwanted"][n % 4];
    let mut ret = SandboxReturn::new(8_000_000 + n as u64, order, &format!("#{order}-R1"))
        .line(line, 1, reason)
        .customer_note("sent back from the demo");
    let mut topics = vec![ReturnTopic::Request];
    match n % 3 {
        1 => {
            ret = ret.declined("final_sale", Some("this item was on final sale"));
            topics.push(ReturnTopic::Decline);
        }
        _ => topics.push(ReturnTopic::Approve),
    }
    let url = format!("{}/webhooks/shopify", world.running.base_url());
    let secret = super::world::SHOPIFY_SECRET.as_bytes();
    for topic in topics {
        let (headers, body) = ret.signed(topic, dropflow_sandbox::shopify::SHOP_DOMAIN, secret);
        super::traffic::deliver(client, &url, &headers, body).await?;
    }
    if n.is_multiple_of(3) {
        let refund = world
            .sandboxes
            .shopify
            .refund_in_admin(order, &[(line, 1)], Some(ret.id))
            .map_err(|e| anyhow::anyhow!("shopify admin refund of {order}: {e}"))?;
        let hook = dropflow_sandbox::shopify::ShopifyWebhook::new(
            "refunds/create",
            dropflow_sandbox::shopify::SHOP_DOMAIN,
            dropflow_sandbox::body_bytes(&refund),
        );
        super::traffic::deliver(client, &url, &hook.headers(secret), hook.body).await?;
    }
    Ok(())
}

/// The customer's bank disputes Shopify order `order`'s payment: Shopify sends
/// `disputes/create` (twice, as it retries), and for every other dispute a later
/// `disputes/update` saying the merchant won, the bodies built by the Shopify sandbox
/// ([`dropflow_sandbox::shopify::dispute_payload`]).
async fn chargeback(
    world: &World,
    client: &reqwest::Client,
    n: usize,
    order: u64,
    total_minor: i64,
    currency: &str,
) -> anyhow::Result<()> {
    let currency_code = Currency::from_code(currency).map_err(|e| anyhow::anyhow!("{e}"))?;
    let amount = Money::new(total_minor, currency_code).to_decimal_string();
    let id = 7_000_000 + n as u64;
    let dispute = |status: &str| {
        dropflow_sandbox::shopify::dispute_payload(id, order, &amount, currency, status)
    };
    let url = format!("{}/webhooks/shopify", world.running.base_url());
    let mut deliveries = vec![
        ("disputes/create", dispute("needs_response")),
        ("disputes/create", dispute("needs_response")),
    ];
    if n.is_multiple_of(2) {
        deliveries.push(("disputes/update", dispute("won")));
    }
    for (topic, body) in deliveries {
        let hook = dropflow_sandbox::shopify::ShopifyWebhook::new(
            topic,
            dropflow_sandbox::shopify::SHOP_DOMAIN,
            dropflow_sandbox::body_bytes(&body),
        );
        let headers = hook.headers(super::world::SHOPIFY_SECRET.as_bytes());
        super::traffic::deliver(client, &url, &headers, hook.body).await?;
    }
    Ok(())
}

/// The merchant refunds one unit of the order's first line by hand in wp-admin (no gateway
/// refund); WooCommerce's `order.updated` then lists it, and dropflow reads it back.
async fn refund_in_wp_admin(
    world: &World,
    client: &reqwest::Client,
    order_id: u64,
) -> anyhow::Result<()> {
    let site = &world.sandboxes.woo;
    let order = site
        .order(order_id)
        .with_context(|| format!("woocommerce order {order_id}"))?;
    let line = &order["line_items"][0];
    let quantity = line["quantity"].as_f64().unwrap_or(1.0).max(1.0);
    let line_total: f64 = line["total"].as_str().unwrap_or("0").parse().unwrap_or(0.0);
    let unit = format!("{:.2}", line_total / quantity);
    site.refund_in_admin(
        order_id,
        &json!({ "amount": unit, "reason": "refunded at the counter", "api_refund": false,
            "line_items": [{ "id": line["id"], "quantity": 1, "refund_total": unit }] }),
    )
    .map_err(|e| anyhow::anyhow!("wp-admin refund of {order_id}: {e}"))?;
    let mut now = site
        .order(order_id)
        .with_context(|| format!("woocommerce order {order_id}"))?;
    // After every snapshot the demo sent before.
    now["date_modified_gmt"] = json!("2031-06-01T00:00:00");
    let hook = dropflow_sandbox::woocommerce::WooWebhook::new(
        "order.updated",
        8,
        dropflow_sandbox::body_bytes(&now),
    );
    let url = format!("{}/webhooks/woocommerce", world.running.base_url());
    let headers = hook.headers(super::world::WOO_SECRET.as_bytes());
    super::traffic::deliver(client, &url, &headers, hook.body).await
}

/// One case, as the summary reads it.
struct CaseRow {
    id: String,
    /// `refund:<store refund id>` for a case the store's own refund opened.
    store_reference: Option<String>,
    state: CaseState,
    platform: String,
    store_order_id: String,
}

async fn cases(world: &World) -> anyhow::Result<Vec<CaseRow>> {
    let rows = sqlx::query(
        "SELECT c.id, c.store_reference, c.state, s.platform, o.external_id FROM cases c
         JOIN orders o ON o.id = c.order_id JOIN stores s ON s.id = c.store_id",
    )
    .fetch_all(&world.db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CaseRow {
                id: r.try_get("id")?,
                store_reference: r.try_get("store_reference")?,
                state: serde_json::from_str(&r.try_get::<String, _>("state")?)?,
                platform: r.try_get("platform")?,
                store_order_id: r.try_get("external_id")?,
            })
        })
        .collect()
}

/// Refund cases whose customer is still waiting for the refund dropflow makes.
async fn refunds_waiting(world: &World) -> anyhow::Result<usize> {
    let open = sqlx::query("SELECT COUNT(*) AS n FROM order_flags WHERE kind = 'case_refund_failed' AND resolved_at IS NULL")
        .fetch_one(&world.db.reader)
        .await?
        .try_get::<i64, _>("n")?;
    let waiting = cases(world)
        .await?
        .iter()
        .filter(|c| {
            matches!(c.state.resolution, Resolution::Refund { .. })
                && matches!(c.state.customer, CustomerSide::Pending)
        })
        .count();
    // A refund the store refused is flagged for a person: waiting longer changes nothing.
    Ok(waiting.saturating_sub(usize::try_from(open).unwrap_or(0)))
}

/// What the summary says of the cases: how many, per resolution, and how many cases'
/// refunds differ from what the store sandbox paid back under the case's marker.
pub struct CaseFigures {
    pub cases: usize,
    /// Cases closed (by the merchant, the store, or by themselves once settled).
    pub closed: usize,
    /// Cases the stores opened (a refund or a return made in the shop).
    pub opened_by_store: usize,
    /// Cases per where their goods ended (`not_needed`, `restocked`, `disposed`, or still
    /// `awaited` / `in_transit` / `delivered`).
    pub by_return: BTreeMap<String, usize>,
    /// Open cases with no flag saying why they stopped (must be 0).
    pub unsettled: usize,
    /// Cases whose supplier credits the wallet does not show to the cent (must be 0).
    pub credit_mismatches: usize,
    /// Payment disputes recorded, by their latest status.
    pub chargebacks: BTreeMap<String, usize>,
    pub by_resolution: BTreeMap<String, usize>,
    pub refund_mismatches: usize,
}

pub async fn figures(world: &World) -> anyhow::Result<CaseFigures> {
    let all = cases(world).await?;
    let mut by_resolution = BTreeMap::new();
    let mut mismatches = 0;
    for case in &all {
        *by_resolution
            .entry(case.state.resolution.kind().to_string())
            .or_default() += 1;
        let ours = CaseMoney::of(&case.state).refunded.minor;
        let paid = store_paid(world, case)?;
        if ours != paid {
            mismatches += 1;
        }
    }
    let mut chargebacks = BTreeMap::new();
    for r in sqlx::query("SELECT status FROM chargebacks")
        .fetch_all(&world.db.reader)
        .await?
    {
        *chargebacks.entry(r.try_get("status")?).or_default() += 1;
    }
    Ok(CaseFigures {
        cases: all.len(),
        closed: all.iter().filter(|c| c.state.closed.is_some()).count(),
        opened_by_store: sqlx::query(
            "SELECT COUNT(*) AS n FROM cases WHERE opened_by LIKE 'store:%'",
        )
        .fetch_one(&world.db.reader)
        .await?
        .try_get::<i64, _>("n")? as usize,
        by_return: all.iter().fold(BTreeMap::new(), |mut by, c| {
            *by.entry(return_word(&c.state.ret).to_string()).or_default() += 1;
            by
        }),
        unsettled: super::case_work::unsettled(world).await?,
        credit_mismatches: super::case_work::credit_mismatches(world).await?,
        chargebacks,
        by_resolution,
        refund_mismatches: mismatches,
    })
}

/// What the store sandbox refunded for the case, in minor units: the refunds carrying the
/// case's marker (dropflow's), or the store's own refund that opened it.
fn store_paid(world: &World, case: &CaseRow) -> anyhow::Result<i64> {
    let tag = marker(&case.id);
    let opened_by = case
        .store_reference
        .as_deref()
        .and_then(|r| r.strip_prefix("refund:"))
        .map(str::to_string);
    // The store's own refunds the case recorded (a return refunded in the shop's admin)
    // count by their id: an amount recorded wrong, or an id the store never made, still
    // shows as a mismatch.
    let recorded: Vec<&str> = case
        .state
        .refunds
        .iter()
        .map(|r| r.reference.as_str())
        .collect();
    let ours = |id: u64, text: Option<&str>| {
        let id = id.to_string();
        text.is_some_and(|t| t.contains(&tag))
            || opened_by.as_deref() == Some(id.as_str())
            || recorded.contains(&id.as_str())
    };
    let order: u64 = case.store_order_id.parse().unwrap_or(0);
    Ok(match case.platform.as_str() {
        "shopify" => world
            .sandboxes
            .shopify
            .refunds(order)
            .iter()
            .filter(|r| ours(r.id, r.note.as_deref()))
            .map(|r| r.amount_minor)
            .sum(),
        _ => {
            let mut sum = 0;
            for refund in world.sandboxes.woo.refunds(order) {
                if ours(refund.id, refund.reason.as_deref()) {
                    sum += Money::parse_decimal(&refund.amount, case.state.currency)
                        .map_err(|e| anyhow::anyhow!("refund {}: {e}", refund.id))?
                        .minor;
                }
            }
            sum
        }
    })
}
