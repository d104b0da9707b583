//! Per-store settings (auto-order, auto-pay, price guard, customer notification), the
//! merchant's return address, and the store's Admin API access for writing fulfilments back.

use super::stores::store_in_scope;
use super::{audit, ActionError, Caller, Context, MERCHANTS};
use crate::platforms::{shop_check, store_address};
use crate::storage::accounts::Role;
use crate::storage::settings::{self, AdminAccess, StoreSettings};
use crate::storage::{stores, StorageError, Tx};
use dropflow_core::event::Actor;
use dropflow_core::ids::StoreId;
use dropflow_core::inventory::Policy;
use dropflow_core::payment::CapturePolicy;
use dropflow_core::reference::address::{check_address, PostalAddress};
use serde::Deserialize;

/// The store's settings (defaults if never set).
pub async fn show(
    ctx: &Context,
    caller: &Caller,
    store: &str,
) -> Result<StoreSettings, ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "see this", store).await?;
    Ok(settings::get(&ctx.db, store_id).await?)
}

/// Replaces the store's settings; a new capture policy re-judges the store's authorized
/// orders not yet bought.
pub async fn put(
    ctx: &Context,
    caller: &Caller,
    store: &str,
    input: StoreSettings,
) -> Result<StoreSettings, ActionError> {
    let store_id = store_in_scope(ctx, caller, &[Role::Owner], "change this", store).await?;
    if input.price_guard_percent.is_some_and(|p| p > 1000) {
        return Err(ActionError::Unprocessable(
            "price_guard_percent: must be between 0 and 1000".into(),
        ));
    }
    if let Some(error) = input.threshold_error() {
        return Err(ActionError::Unprocessable(error));
    }
    let mut tx = ctx.db.begin().await?;
    let judged = put_in(ctx, &mut tx, caller, store_id, &input).await?;
    tx.commit().await.map_err(StorageError::from)?;
    ctx.db.jobs_queued.notify_one();
    tracing::info!(store.id = %store_id, orders.rejudged = judged, "store settings changed");
    Ok(settings::get(&ctx.db, store_id).await?)
}

/// Writes checked settings in `tx` (the dashboard saves branding in the same transaction).
/// A new capture policy re-judges the orders waiting on an authorization in the same
/// transaction, so no order is left judged by the old one; returns how many were.
pub async fn put_in(
    ctx: &Context,
    tx: &mut Tx<'_>,
    caller: &Caller,
    store_id: StoreId,
    input: &StoreSettings,
) -> Result<usize, ActionError> {
    let before = settings::get(&ctx.db, store_id).await?;
    settings::put_in(tx, store_id, input).await?;
    let store = store_id.to_string();
    audit::record(
        tx,
        caller,
        Some(&store),
        "settings.update",
        ("settings", &store),
        Some(audit::snapshot(&before)?),
        Some(audit::snapshot(input)?),
    )
    .await?;
    if before.buy_when_authorized == input.buy_when_authorized {
        return Ok(0);
    }
    crate::fulfilment::capture::reapply(
        tx,
        store_id,
        CapturePolicy::from_setting(input.buy_when_authorized),
        &Actor::Merchant(caller.actor.clone()),
    )
    .await
    .map_err(ActionError::internal)
}

/// How to reach the store's Admin API.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminAccessInput {
    /// The store's base URL (`https://shop.myshopify.com`, `https://shop.example.com`).
    pub url: String,
    /// Shopify: the Admin API access token. WooCommerce: the consumer key.
    pub key: String,
    /// WooCommerce: the consumer secret. Not used for Shopify.
    pub secret: Option<String>,
}

/// Sets the store's Admin API access after checking it against the shop itself, which makes
/// the store verified; webhooks for the domain then go to this registration only.
pub async fn put_admin(
    ctx: &Context,
    caller: &Caller,
    store: &str,
    input: AdminAccessInput,
) -> Result<(), ActionError> {
    let store_id =
        store_in_scope(ctx, caller, &[Role::Owner], "set store credentials", store).await?;
    let store = stores::get(&ctx.db, store_id).await?;
    // The shop's own Admin API only (never an address inside the operator's network).
    let url = store_address::check_admin_url(
        store.platform,
        &store.domain,
        &input.url,
        ctx.outbound_reach,
    )
    .map_err(ActionError::Unprocessable)?;
    if input.key.trim().is_empty() {
        return Err(ActionError::Unprocessable("key: must not be empty".into()));
    }
    let access = AdminAccess {
        url,
        key: input.key.trim().to_string(),
        secret: input.secret.map(|s| s.trim().to_string()),
    };
    // Checked against the shop itself before it is kept: the access must open this shop.
    shop_check::check(store.platform, &store.domain, &access)
        .await
        .map_err(|e| match e {
            shop_check::ShopCheckError::Refused(why) => ActionError::Unprocessable(why),
            shop_check::ShopCheckError::Unavailable(why) => ActionError::Unavailable(why),
        })?;
    let before = settings::admin_access(&ctx.db, store_id).await?;
    let mut tx = ctx.db.begin().await?;
    stores::verify_with_access_in(&mut tx, store_id, &access).await?;
    // The key and secret are recorded as having been set, never their values (storage
    // redacts `key` and `secret`).
    let id = store_id.to_string();
    let admin = |url: Option<&str>, key: bool, secret: bool| serde_json::json!({"url": url, "key": key.then_some("set"), "secret": secret.then_some("set")});
    audit::record(
        &mut tx,
        caller,
        Some(&id),
        "store_admin.set",
        ("store_admin", &id),
        Some(admin(
            before.as_ref().map(|a| a.url.as_str()),
            before.is_some(),
            before.as_ref().is_some_and(|a| a.secret.is_some()),
        )),
        Some(admin(Some(&access.url), true, access.secret.is_some())),
    )
    .await?;
    tx.commit().await.map_err(StorageError::from)?;
    ctx.stores.forget(store.platform, &store.domain);
    // The write-backs that waited for this access (none set, or refused) run again now.
    let requeued = crate::storage::jobs::requeue_waiting(
        &ctx.db,
        &dropflow_core::jobs::waits::store_admin(store_id),
    )
    .await?;
    if requeued > 0 {
        tracing::info!(store.id = %store_id, jobs = requeued, "jobs waiting for this store's access queued again");
    }
    tracing::info!(store.id = %store_id, "store admin access checked against the shop and set");
    Ok(())
}

/// The merchant's own return address (where customers send back goods that did not come
/// through the agent warehouse); `None` when not given.
pub async fn return_address(
    ctx: &Context,
    caller: &Caller,
    store: &str,
) -> Result<Option<PostalAddress>, ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "see this", store).await?;
    Ok(settings::return_address(&ctx.db, store_id).await?)
}

/// Sets (or, with `None`, removes) the merchant's return address, checked like a shipping
/// address (the country's required fields and postal code) and with someone to receive it:
/// it goes into customers' mails as it is.
pub async fn put_return_address(
    ctx: &Context,
    caller: &Caller,
    store: &str,
    input: Option<PostalAddress>,
) -> Result<Option<PostalAddress>, ActionError> {
    let store_id = store_in_scope(ctx, caller, &[Role::Owner], "change this", store).await?;
    let address = input
        .map(checked_return_address)
        .transpose()
        .map_err(ActionError::Unprocessable)?;
    let before = settings::return_address(&ctx.db, store_id).await?;
    let mut tx = ctx.db.begin().await?;
    settings::set_return_address_in(&mut tx, store_id, address.as_ref()).await?;
    let id = store_id.to_string();
    audit::record(
        &mut tx,
        caller,
        Some(&id),
        "return_address.set",
        ("return_address", &id),
        before.as_ref().map(audit::snapshot).transpose()?,
        address.as_ref().map(audit::snapshot).transpose()?,
    )
    .await?;
    tx.commit().await.map_err(StorageError::from)?;
    tracing::info!(store.id = %store_id, set = address.is_some(), "store return address changed");
    Ok(address)
}

/// The store's catalogue policy (stock to publish, what to do when out, the price rule):
/// what the merchant set, else the defaults for the currency of the store's orders (US
/// dollars before its first order).
pub async fn catalogue_policy(
    ctx: &Context,
    caller: &Caller,
    store: &str,
) -> Result<Policy, ActionError> {
    let store_id = store_in_scope(ctx, caller, MERCHANTS, "see this", store).await?;
    crate::fulfilment::store_catalogue::policy(&ctx.db, store_id)
        .await
        .map_err(|e| ActionError::Internal(format!("the store's catalogue policy: {e}")))
}

/// Replaces the store's catalogue policy (owner only), checked first: a markup, fixed amount,
/// ending or ceiling out of range is refused naming it, and nothing changes.
pub async fn put_catalogue_policy(
    ctx: &Context,
    caller: &Caller,
    store: &str,
    policy: Policy,
) -> Result<Policy, ActionError> {
    let store_id = store_in_scope(ctx, caller, &[Role::Owner], "change this", store).await?;
    policy
        .check()
        .map_err(|e| ActionError::Unprocessable(e.to_string()))?;
    let before = settings::catalogue_policy(&ctx.db, store_id).await?;
    let mut tx = ctx.db.begin().await?;
    settings::set_catalogue_policy_in(&mut tx, store_id, &policy).await?;
    let id = store_id.to_string();
    audit::record(
        &mut tx,
        caller,
        Some(&id),
        "catalogue_policy.set",
        ("catalogue_policy", &id),
        before.as_ref().map(audit::snapshot).transpose()?,
        Some(audit::snapshot(&policy)?),
    )
    .await?;
    tx.commit().await.map_err(StorageError::from)?;
    tracing::info!(store.id = %store_id, "catalogue policy changed");
    Ok(policy)
}

/// Longest a field of the return address may be (a label line, not a letter).
const MAX_ADDRESS_FIELD: usize = 200;

/// The address trimmed (blank fields dropped), or every problem with it in one message
/// naming the fields.
pub fn checked_return_address(address: PostalAddress) -> Result<PostalAddress, String> {
    let tidy = |field: Option<String>| {
        field
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
    };
    let address = PostalAddress {
        name: tidy(address.name),
        company: tidy(address.company),
        address1: tidy(address.address1),
        address2: tidy(address.address2),
        city: tidy(address.city),
        province: tidy(address.province),
        province_code: tidy(address.province_code),
        postal_code: tidy(address.postal_code),
        country_code: tidy(address.country_code).map(|c| c.to_ascii_uppercase()),
        phone: tidy(address.phone),
    };
    let mut problems: Vec<String> = check_address(&address)
        .into_iter()
        .map(|p| {
            let field = serde_json::to_value(p.field)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!("return_address.{field}: {}", p.message)
        })
        .collect();
    if address.name.is_none() && address.company.is_none() {
        problems.push("return_address.name: give a name or a company to send it to".into());
    }
    if address.address1.is_none() {
        problems.push("return_address.address1: the street is missing".into());
    }
    let long = address
        .label_lines()
        .iter()
        .chain(address.province_code.iter())
        .any(|line| line.chars().count() > MAX_ADDRESS_FIELD);
    if long {
        problems.push(format!(
            "return_address: a field is longer than {MAX_ADDRESS_FIELD} characters"
        ));
    }
    if problems.is_empty() {
        Ok(address)
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_return_address_is_checked_like_a_shipping_address_and_tidied() {
        let good = PostalAddress {
            name: Some("  Mugs & Co returns ".into()),
            address1: Some("1600 Amphitheatre Pkwy".into()),
            city: Some("Mountain View".into()),
            province: Some("California".into()),
            province_code: Some("CA".into()),
            postal_code: Some("94043".into()),
            country_code: Some("us".into()),
            phone: Some("   ".into()),
            ..Default::default()
        };
        let tidy = checked_return_address(good.clone()).unwrap();
        assert_eq!(tidy.name.as_deref(), Some("Mugs & Co returns"));
        assert_eq!(tidy.country_code.as_deref(), Some("US"));
        assert_eq!(tidy.phone, None);

        let mut bad = good.clone();
        bad.postal_code = Some("ABC".into());
        bad.name = None;
        let why = checked_return_address(bad).unwrap_err();
        assert!(why.contains("return_address.postal_code"), "{why}");
        assert!(why.contains("return_address.name"), "{why}");

        let mut nowhere = good;
        nowhere.country_code = None;
        let why = checked_return_address(nowhere).unwrap_err();
        assert!(why.contains("return_address.country"), "{why}");
    }
}
