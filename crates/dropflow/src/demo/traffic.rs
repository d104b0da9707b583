//! The demo's outside world in motion: customers ordering on the two stores (each order is
//! created on the store sandbox, then its webhook is signed and sent to dropflow, as the
//! platforms do), and the manual vendor shipping what is routed to them through the API.

use super::world::{World, SHOPIFY_SECRET, WOO_SECRET};
use anyhow::Context;
use dropflow_sandbox::shopify::{self, ShopifyWebhook};
use dropflow_sandbox::shopify_admin::ShopifyAdminSandbox;
use dropflow_sandbox::woocommerce::{self, WooWebhook};
use dropflow_sandbox::woocommerce_admin::WooAdminSandbox;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Sends the demo's orders at its rate, alternating Shopify and WooCommerce; one in fifty
/// arrives unpaid (it waits on hold for the payment). With `changes`, some are edited,
/// cancelled or refunded in the store afterwards (`super::changes`), each a later webhook.
pub async fn send_orders(
    world: &World,
    client: &reqwest::Client,
    options: &super::DemoOptions,
) -> anyhow::Result<()> {
    let stores = Stores {
        shopify: &world.sandboxes.shopify,
        woo: &world.sandboxes.woo,
    };
    send(
        &stores,
        &world.running.base_url(),
        client,
        0..options.orders as u64,
        options.rate,
        options.changes,
    )
    .await?;
    Ok(())
}

/// The two store sandboxes orders are made on.
pub struct Stores<'a> {
    pub shopify: &'a ShopifyAdminSandbox,
    pub woo: &'a WooAdminSandbox,
}

/// An order made on a store and delivered to dropflow's webhook.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SentOrder {
    /// `shopify` or `woocommerce`.
    pub platform: &'static str,
    /// The store's order id.
    pub id: u64,
    /// What the merchant calls it (`#1000`; WooCommerce: the id).
    pub name: String,
    pub paid: bool,
}

/// A webhook to deliver: where, its signed headers, its body.
type Delivery = (String, Vec<(&'static str, String)>, Vec<u8>);

/// Makes the orders numbered `sequence` on the stores at `rate` per second (even numbers on
/// Shopify, odd on WooCommerce, every fiftieth unpaid) and delivers each one's webhook,
/// signed as the platform signs it, to dropflow at `base`. With `changes`, one in twenty is
/// later edited, one cancelled and one refunded in the store (`super::changes`).
pub async fn send(
    stores: &Stores<'_>,
    base: &str,
    client: &reqwest::Client,
    sequence: std::ops::Range<u64>,
    rate: f64,
    changes: bool,
) -> anyhow::Result<Vec<SentOrder>> {
    use futures::StreamExt;
    let start = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.1));
    let mut in_flight = futures::stream::FuturesUnordered::new();
    let mut later = futures::stream::FuturesUnordered::new();
    let mut sent = Vec::new();
    let first = sequence.start;
    for i in sequence {
        let due = start + interval.mul_f64((i - first) as f64);
        tokio::time::sleep_until(due.into()).await;
        let id = 10_000 + i;
        let unpaid = i % 50 == 49;
        let change = super::changes::pick(i).filter(|_| changes && !unpaid);
        // The change's webhook and, for a Shopify edit, the order as the store now holds it
        // (applied to the store when the webhook leaves, as the merchant's edit would be).
        let (delivery, changed, edited): (Delivery, Option<Delivery>, Option<Value>) = if i % 2 == 0
        {
            let order = shopify::order_payload(
                id,
                &format!("#{}", 1000 + i),
                if unpaid { "pending" } else { "paid" },
            );
            stores
                .shopify
                .add_order(&order)
                .map_err(|e| anyhow::anyhow!("shopify sandbox: {e}"))?;
            let url = format!("{base}/webhooks/shopify");
            let hook = ShopifyWebhook::new(
                "orders/create",
                shopify::SHOP_DOMAIN,
                dropflow_sandbox::body_bytes(&order),
            );
            let mut edited = None;
            let changed = match change {
                Some(change) => {
                    let (topic, now) = super::changes::shopify(&order, change)?;
                    if change == super::changes::Change::Edit {
                        edited = Some(now.clone());
                    }
                    let later = ShopifyWebhook::new(
                        topic,
                        shopify::SHOP_DOMAIN,
                        dropflow_sandbox::body_bytes(&now),
                    );
                    Some((
                        url.clone(),
                        later.headers(SHOPIFY_SECRET.as_bytes()),
                        later.body,
                    ))
                }
                None => None,
            };
            sent.push(SentOrder {
                platform: "shopify",
                id,
                name: format!("#{}", 1000 + i),
                paid: !unpaid,
            });
            let headers = hook.headers(SHOPIFY_SECRET.as_bytes());
            ((url, headers, hook.body), changed, edited)
        } else {
            let order =
                woocommerce::order_payload(id, if unpaid { "pending" } else { "processing" });
            stores
                .woo
                .add_order(&order)
                .map_err(|e| anyhow::anyhow!("woocommerce sandbox: {e}"))?;
            let url = format!("{base}/webhooks/woocommerce");
            let hook = WooWebhook::new("order.created", 7, dropflow_sandbox::body_bytes(&order));
            let changed = match change {
                Some(change) => {
                    let now = super::changes::woocommerce(&order, change)?;
                    let later =
                        WooWebhook::new("order.updated", 8, dropflow_sandbox::body_bytes(&now));
                    Some((
                        url.clone(),
                        later.headers(WOO_SECRET.as_bytes()),
                        later.body,
                    ))
                }
                None => None,
            };
            sent.push(SentOrder {
                platform: "woocommerce",
                id,
                name: id.to_string(),
                paid: !unpaid,
            });
            let headers = hook.headers(WOO_SECRET.as_bytes());
            ((url, headers, hook.body), changed, None)
        };
        if let Some((url, headers, body)) = changed {
            let client = client.clone();
            let wait = super::changes::delay(i);
            let shopify = stores.shopify;
            later.push(async move {
                tokio::time::sleep(wait).await;
                if let Some(order) = edited {
                    shopify
                        .edit_order(&order)
                        .map_err(|e| anyhow::anyhow!("shopify sandbox: {e}"))?;
                }
                deliver(&client, &url, &headers, body).await
            });
        }
        let client = client.clone();
        let (url, headers, body) = delivery;
        in_flight.push(async move { deliver(&client, &url, &headers, body).await });
        // Keep the number of open requests bounded without waiting for each.
        while in_flight.len() >= 64 {
            if let Some(result) = in_flight.next().await {
                result?;
            }
        }
    }
    while let Some(result) = in_flight.next().await {
        result?;
    }
    while let Some(result) = later.next().await {
        result?;
    }
    Ok(sent)
}

/// Delivers one webhook as a platform would: retried on 5xx or no answer.
pub(super) async fn deliver(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&'static str, String)],
    body: Vec<u8>,
) -> anyhow::Result<()> {
    for attempt in 0..5 {
        let mut request = client.post(url).body(body.clone());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) if r.status().is_client_error() => {
                anyhow::bail!("dropflow refused a demo webhook: {}", r.status())
            }
            _ => tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await,
        }
    }
    anyhow::bail!("dropflow did not take a demo webhook after 5 tries")
}

/// The manual vendor: every half second, ships what waits for them, entering a UPU S10
/// tracking number through the API. One entry in twenty has a typo in its check digit, is
/// refused, and is entered again correctly.
pub async fn run_vendor(
    world: &World,
    client: &reqwest::Client,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<usize> {
    let base = world.running.base_url();
    let mut shipped = 0usize;
    let mut serial = 10_000_000u32;
    loop {
        if *stop.borrow() {
            return Ok(shipped);
        }
        let waiting = crate::storage::supplier_orders::ids_waiting_for_vendor(&world.db).await?;
        for id in waiting {
            serial += 1;
            let good = s10(serial);
            if serial.is_multiple_of(20) {
                let typo = format!("{}{}CN", &good[..10], (good.as_bytes()[10] - b'0' + 1) % 10);
                let refused = ship(client, &base, &world.token, &id, &typo).await?;
                anyhow::ensure!(
                    refused == reqwest::StatusCode::UNPROCESSABLE_ENTITY,
                    "a tracking number with a wrong check digit was not refused ({refused})"
                );
            }
            let status = ship(client, &base, &world.token, &id, &good).await?;
            if status.is_success() {
                shipped += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn ship(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
    number: &str,
) -> anyhow::Result<reqwest::StatusCode> {
    let response = client
        .post(format!("{base}/api/v1/supplier-orders/{id}/ship"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "tracking_number": number, "carrier": "China Post" }))
        .send()
        .await
        .context("the vendor could not reach dropflow")?;
    Ok(response.status())
}

/// A China Post number with the right check digit.
fn s10(serial: u32) -> String {
    dropflow_core::tracking::s10_number("RR", serial.into(), "CN")
}

#[cfg(test)]
mod tests {
    use super::s10;

    #[test]
    fn s10_numbers_pass_the_courier_check_and_a_typo_does_not() {
        let good = s10(12_345_678);
        assert_eq!(good, "RR123456785CN");
        assert_eq!(crate::fulfilment::parcels::check_number(&good).0, "valid");
        assert_eq!(
            crate::fulfilment::parcels::check_number("RR123456784CN").0,
            "invalid"
        );
    }
}
