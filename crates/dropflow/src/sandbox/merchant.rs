//! What a merchant does once in a new dropflow, done for the sandbox's two stores through
//! dropflow's public API (`/api/v1`) with an owner's token: register each store with its
//! webhook secret, give dropflow its Admin API access, turn on auto-order and auto-pay, map
//! the store's SKUs to AliExpress and CJ offers, and fund the wallet. Running it again (a new
//! sandbox run, whose ports differ) updates the access and mappings of the stores already
//! there and funds only new ones.

use crate::demo::sandboxes::Sandboxes;
use crate::demo::world::{catalogue, SHOPIFY_SECRET, WOO_SECRET};
use crate::http::api::views;
use crate::storage::settings::StoreSettings;
use anyhow::Context;
use dropflow_core::catalog::Mapping;
use serde::Serialize;
use serde_json::{json, Value};

/// The dropflow the sandbox sends orders to.
#[derive(Debug, Clone)]
pub struct Connection {
    pub base_url: String,
    pub token: String,
}

/// A store as set up in dropflow.
#[derive(Debug, Serialize)]
pub struct ConnectedStore {
    pub platform: &'static str,
    pub domain: String,
    /// dropflow's id for it.
    pub id: String,
    /// Whether this call registered it (and funded its wallet).
    pub created: bool,
}

/// Each store's wallet at registration, in US dollars.
const WALLET_USD: &str = "1000000.00";

pub async fn connect(
    client: &reqwest::Client,
    dropflow: &Connection,
    sandboxes: &Sandboxes,
) -> anyhow::Result<Vec<ConnectedStore>> {
    let api = Api { client, dropflow };
    let existing = api.call(reqwest::Method::GET, "/stores", None).await?;
    let existing = existing.as_array().cloned().unwrap_or_default();
    let stores = [
        (
            "shopify",
            dropflow_sandbox::shopify::SHOP_DOMAIN,
            SHOPIFY_SECRET,
            json!({
                "url": sandboxes.shopify.base_url,
                "key": sandboxes.shopify.access_token(),
            }),
        ),
        (
            "woocommerce",
            dropflow_sandbox::woocommerce::SITE_URL,
            WOO_SECRET,
            json!({
                "url": sandboxes.woo.base_url,
                "key": sandboxes.woo.consumer_key(),
                "secret": sandboxes.woo.consumer_secret(),
            }),
        ),
    ];
    let settings = serde_json::to_value(views::settings::StoreSettings::from(StoreSettings {
        auto_order: true,
        auto_pay: true,
        price_guard_percent: Some(15),
        notify_customer: true,
        ..Default::default()
    }))?;
    let mappings = catalogue(false)?;
    let mut connected = Vec::new();
    for (platform, domain, secret, admin) in stores {
        let wanted = crate::storage::stores::normalize_domain(domain);
        let found = existing.iter().find(|s| {
            s["platform"].as_str() == Some(platform) && s["domain"].as_str() == Some(&wanted)
        });
        let (id, created) = match found.and_then(|s| s["id"].as_str()) {
            Some(id) => (id.to_string(), false),
            None => {
                let store = api
                    .call(
                        reqwest::Method::POST,
                        "/stores",
                        Some(json!({
                            "platform": platform,
                            "domain": domain,
                            "webhook_secret": secret,
                        })),
                    )
                    .await?;
                let id = store["id"]
                    .as_str()
                    .context("dropflow answered a new store without an id")?;
                (id.to_string(), true)
            }
        };
        api.call(
            reqwest::Method::PUT,
            &format!("/stores/{id}/admin"),
            Some(admin),
        )
        .await?;
        api.call(
            reqwest::Method::PUT,
            &format!("/stores/{id}/settings"),
            Some(settings.clone()),
        )
        .await?;
        for (sku, mapping) in &mappings {
            api.call(
                reqwest::Method::PUT,
                &format!("/stores/{id}/mappings"),
                Some(mapping_input(sku, mapping)),
            )
            .await?;
        }
        if created {
            api.call(
                reqwest::Method::POST,
                &format!("/stores/{id}/wallet/top-ups"),
                Some(json!({ "amount": WALLET_USD, "currency": "USD" })),
            )
            .await?;
        }
        connected.push(ConnectedStore {
            platform,
            domain: wanted,
            id,
            created,
        });
    }
    Ok(connected)
}

/// The body of `PUT /api/v1/stores/{id}/mappings` for one SKU.
fn mapping_input(sku: &str, mapping: &Mapping) -> Value {
    let components: Vec<Value> = mapping
        .components
        .iter()
        .map(|component| {
            let offers: Vec<Value> = component
                .offers
                .iter()
                .map(|offer| {
                    json!({
                        "supplier": offer.supplier.kind.as_str(),
                        "account": offer.supplier.account,
                        "supplier_product_id": offer.supplier_product_id,
                        "supplier_sku_id": offer.supplier_sku_id,
                        "unit_cost": offer.unit_cost.to_decimal_string(),
                        "currency": offer.unit_cost.currency.code(),
                        "priority": offer.priority,
                        "product_url": offer.product_url,
                    })
                })
                .collect();
            json!({ "quantity": component.quantity, "offers": offers })
        })
        .collect();
    json!({ "sku": sku, "components": components })
}

struct Api<'a> {
    client: &'a reqwest::Client,
    dropflow: &'a Connection,
}

impl Api<'_> {
    /// One `/api/v1` call; a refusal is an error that says which call and why.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}/api/v1{path}", self.dropflow.base_url);
        let mut request = self
            .client
            .request(method.clone(), &url)
            .bearer_auth(&self.dropflow.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach dropflow at {url}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            anyhow::bail!("dropflow refused {method} {path}: {status} {text}");
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| format!("{method} {path}: not JSON"))
    }
}
