//! The demo's outside world in motion: customers ordering on the two stores (each order is
//! created on the store sandbox, then its webhook is signed and sent to dropflow, as the
//! platforms do), and the manual vendor shipping what is routed to them through the API.

use super::world::{World, SHOPIFY_SECRET, WOO_SECRET};
use anyhow::Context;
use dropflow_sandbox::shopify::{self, ShopifyWebhook};
use dropflow_sandbox::woocommerce::{self, WooWebhook};
use std::time::{Duration, Instant};

/// Sends the demo's orders at its rate, alternating Shopify and WooCommerce; one in fifty
/// arrives unpaid (it waits on hold for the payment). With `changes`, some are edited,
/// cancelled or refunded in the store afterwards (`changes`), each change a later webhook.
pub async fn send_orders(
    world: &World,
    client: &reqwest::Client,
    options: &super::DemoOptions,
) -> anyhow::Result<()> {
    use futures::StreamExt;
    let base = world.running.base_url();
    let start = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / options.rate.max(0.1));
    let mut in_flight = futures::stream::FuturesUnordered::new();
    let mut later = futures::stream::FuturesUnordered::new();
    for i in 0..options.orders as u64 {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let id = 10_000 + i;
        let unpaid = i % 50 == 49;
        let change = super::changes::pick(i).filter(|_| options.changes && !unpaid);
        let (url, headers, body, changed) = if i % 2 == 0 {
            let order = shopify::order_payload(
                id,
                &format!("#{}", 1000 + i),
                if unpaid { "pending" } else { "paid" },
            );
            world
                .shopify
                .add_order(&order)
                .map_err(|e| anyhow::anyhow!("shopify sandbox: {e}"))?;
            let hook = ShopifyWebhook::new(
                "orders/create",
                shopify::SHOP_DOMAIN,
                dropflow_sandbox::body_bytes(&order),
            );
            let headers = hook.headers(SHOPIFY_SECRET.as_bytes());
            let changed = match change {
                Some(change) => {
                    let (topic, now) = super::changes::shopify(&order, change)?;
                    let hook = ShopifyWebhook::new(
                        topic,
                        shopify::SHOP_DOMAIN,
                        dropflow_sandbox::body_bytes(&now),
                    );
                    Some((hook.headers(SHOPIFY_SECRET.as_bytes()), hook.body))
                }
                None => None,
            };
            (
                format!("{base}/webhooks/shopify"),
                headers,
                hook.body,
                changed,
            )
        } else {
            let order =
                woocommerce::order_payload(id, if unpaid { "pending" } else { "processing" });
            world
                .woo
                .add_order(&order)
                .map_err(|e| anyhow::anyhow!("woocommerce sandbox: {e}"))?;
            let hook = WooWebhook::new("order.created", 7, dropflow_sandbox::body_bytes(&order));
            let headers = hook.headers(WOO_SECRET.as_bytes());
            let changed = match change {
                Some(change) => {
                    let now = super::changes::woocommerce(&order, change)?;
                    let hook =
                        WooWebhook::new("order.updated", 8, dropflow_sandbox::body_bytes(&now));
                    Some((hook.headers(WOO_SECRET.as_bytes()), hook.body))
                }
                None => None,
            };
            (
                format!("{base}/webhooks/woocommerce"),
                headers,
                hook.body,
                changed,
            )
        };
        if let Some((change_headers, change_body)) = changed {
            let client = client.clone();
            let url = url.clone();
            let wait = super::changes::delay(i);
            later.push(async move {
                tokio::time::sleep(wait).await;
                deliver(&client, &url, &change_headers, change_body).await
            });
        }
        let client = client.clone();
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
    Ok(())
}

/// Delivers one webhook as a platform would: retried on 5xx or no answer.
async fn deliver(
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

/// A UPU S10 number (`RR` + 8 digits + check digit + `CN`) with the right check digit.
pub fn s10(serial: u32) -> String {
    let digits = format!("{:08}", serial % 100_000_000);
    const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];
    let sum: u32 = digits
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        c => c,
    };
    format!("RR{digits}{check}CN")
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
