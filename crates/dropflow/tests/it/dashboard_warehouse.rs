//! The merchant's Warehouse section of `/orders/{id}` through a browser-like client signed in
//! with the login form: what is missing with its tracking, ship what is here, the carriers
//! and the fee after packing, the decision on a failed item, the wallet's shortfall, other
//! stores' staff (404) and a POST without its CSRF token (403, nothing changed).

use crate::dashboard_pages::Browser;
use crate::support::*;
use crate::warehouse::{
    all_paid, checklist, inbound, inbound_numbers, inspect, order, pack, pass_arrived, scan,
    sellers_ship, shipped_by_sellers, view, wait_stage, world, World, PNG,
};
use crate::warehouse_operator::shipped_to_warehouse;
use dropflow::storage::accounts::{Role, DEFAULT_ACCOUNT};
use dropflow_core::ids::StoreId;
use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

const OWNER: &str = "owner@shop.example";

async fn owner(w: &World) -> Browser {
    user_token(&w.app, DEFAULT_ACCOUNT, OWNER, Role::Owner, &[]).await;
    Browser::sign_in(&w.app, OWNER).await
}

/// A POST that went back to the order page, and that page (with its flash message).
async fn posted_back(b: &mut Browser, response: Response, id: &str) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION],
        format!("/orders/{id}").as_str()
    );
    b.page(&format!("/orders/{id}")).await
}

/// The part of the page from `marker` to the end of its element's section (or page).
fn section<'a>(page: &'a str, marker: &str) -> &'a str {
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in the page"));
    let rest = &page[at..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// Chooses carrier service `code` for the package through the page's form (with the
/// session's CSRF token); the answer.
async fn choose_service(b: &mut Browser, id: &str, package_id: &str, code: &str) -> Response {
    let csrf = b.csrf().await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("package_id", package_id),
        ("service", code),
    ];
    b.post_form(&format!("/orders/{id}/shipping"), &form).await
}

/// A one-item order, received, passed and packed with `measures`: the package.
pub(crate) async fn packed(w: &World, store_order: u64, measures: Value) -> (String, Value) {
    let (id, number) = shipped_to_warehouse(w, store_order).await;
    scan(&w.app, &number).await;
    wait_stage(&w.app, &id, "arrived").await;
    pass_arrived(&w.app, &id).await;
    wait_stage(&w.app, &id, "inspected").await;
    let packed = w
        .app
        .api_post(&format!("/api/v1/warehouse/orders/{id}/pack"), &measures)
        .await;
    (id, expect_json(packed, StatusCode::OK).await)
}

fn quote_by_price(package: &Value, dearest: bool) -> Value {
    let quotes = package["quotes"].as_array().expect("quotes").iter();
    let price = |q: &&Value| q["price"]["minor"].as_i64().unwrap_or(0);
    let found = if dearest {
        quotes.max_by_key(price)
    } else {
        quotes.min_by_key(price)
    };
    found.cloned().expect("a quote")
}

async fn usd_wallet(w: &World) -> Value {
    w.app
        .api_json(&format!("/api/v1/stores/{}/wallet?currency=USD", w.store))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_ships_what_is_here_chooses_a_carrier_and_pays_the_fee() {
    let w = world().await;
    let app = &w.app;
    let (id, _) = shipped_by_sellers(&w, 9_600_001, 2).await;
    // Until the purchases are paid the order has no warehouse leg (404): ask again.
    let numbers = inbound(app, &id, 2).await;
    scan(app, &numbers[0]).await;
    wait_stage(app, &id, "partly_arrived").await;
    pass_arrived(app, &id).await;
    let v = view(app, &id).await;
    let missing = &v["readiness"]["missing"][0];
    let missing_number = missing["tracking"]["number"].as_str().expect("number");
    let missing_carrier = missing["tracking"]["carrier"].as_str().expect("carrier");
    assert!(numbers.iter().any(|n| n == missing_number), "{v}");

    let mut b = owner(&w).await;
    let page = b.page(&format!("/orders/{id}")).await;
    let wh = section(&page, "id=\"warehouse\"");
    assert!(wh.contains("Partly at the warehouse"), "{wh}");
    let still = section(&page, "id=\"warehouse-missing\"");
    assert!(still.contains(missing_number), "{still}");
    assert!(still.contains(missing_carrier), "{still}");
    assert!(section(&page, "id=\"warehouse-items\"").contains("passed"));
    assert!(page.contains("Ship what is here"), "{wh}");
    assert!(!page.contains("Pay shipping fee"));

    let csrf = b.csrf().await;
    let asked = b
        .post_form(
            &format!("/orders/{id}/warehouse/ship-what-is-here"),
            &[("csrf_token", &csrf)],
        )
        .await;
    let page = posted_back(&mut b, asked, &id).await;
    assert!(
        page.contains("the rest follows in another parcel"),
        "{page}"
    );
    assert!(!page.contains(">Ship what is here<"));
    wait_stage(app, &id, "inspected").await;

    // The operator packs what is here: the page offers the carriers, each with Choose.
    let package = expect_json(pack(app, &id).await, StatusCode::OK).await;
    let package_id = package["id"].as_str().expect("package id");
    let page = b.page(&format!("/orders/{id}")).await;
    let block = section(&page, &format!("id=\"package-{package_id}\""));
    assert!(block.contains("480 g · 25 × 18 × 8 cm"), "{block}");
    let quotes = package["quotes"].as_array().expect("quotes");
    assert!(quotes.len() >= 2, "{package}");
    for q in quotes {
        assert!(
            block.contains(q["service"].as_str().expect("service")),
            "{block}"
        );
        assert!(block.contains(&format!("value=\"{}\"", q["code"].as_str().unwrap())));
    }
    assert_eq!(block.matches(">Choose</button>").count(), quotes.len());
    assert!(!block.contains("Pay shipping fee"));

    let cheapest = quote_by_price(&package, false);
    let code = cheapest["code"].as_str().expect("code");
    let chosen = choose_service(&mut b, &id, package_id, code).await;
    let page = posted_back(&mut b, chosen, &id).await;
    assert!(page.contains("Carrier chosen"), "{page}");
    let block = section(&page, &format!("id=\"package-{package_id}\""));
    assert!(block.contains("<strong>chosen</strong>"), "{block}");
    assert!(
        !block.contains(">Choose</button>"),
        "no second choice offered"
    );
    assert!(block.contains("Pay shipping fee"), "{block}");
    assert!(block.contains("<strong>due</strong>"), "{block}");
    assert_eq!(
        view(app, &id).await["stage"],
        json!("awaiting_shipping_fee")
    );

    let before = usd_wallet(&w).await;
    let paid = b
        .post_form(
            &format!("/orders/{id}/shipping/pay"),
            &[("csrf_token", &csrf), ("package_id", package_id)],
        )
        .await;
    let page = posted_back(&mut b, paid, &id).await;
    assert!(page.contains("paid from the wallet"), "{page}");
    let block = section(&page, &format!("id=\"package-{package_id}\""));
    assert!(block.contains("<strong>paid</strong>"), "{block}");
    assert!(!block.contains("Pay shipping fee"), "{block}");
    assert_ne!(usd_wallet(&w).await["spent"], before["spent"]);
    let v = view(app, &id).await;
    assert_eq!(v["stage"], json!("fee_paid"), "{v}");
    assert!(v["packages"][0]["fee_paid_at"].is_string());

    // Paying again: refused with the reason, nothing charged twice.
    let again = b
        .post_form(
            &format!("/orders/{id}/shipping/pay"),
            &[("csrf_token", &csrf), ("package_id", package_id)],
        )
        .await;
    let page = posted_back(&mut b, again, &id).await;
    assert!(page.contains("Not paid."), "{page}");
    let charges = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM ledger_transactions WHERE reference = 'wfee-{package_id}'
             AND kind = 'capture'"
        ))
        .await;
    assert_eq!(charges, 1);
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_item_offers_the_decision_and_accept_as_is_clears_it() {
    let w = world().await;
    let app = &w.app;
    let (id, number) = shipped_to_warehouse(&w, 9_600_002).await;
    scan(app, &number).await;
    let v = wait_stage(app, &id, "arrived").await;
    let item = v["items"][0]["id"].as_str().expect("item").to_string();
    let failed = inspect(
        app,
        &item,
        "fail",
        &checklist(false),
        Some(r#"["damaged"]"#),
        Some(PNG),
    )
    .await;
    expect_json(failed, StatusCode::OK).await;

    let mut b = owner(&w).await;
    let page = b.page(&format!("/orders/{id}")).await;
    let items = section(&page, "id=\"warehouse-items\"");
    assert!(items.contains(">failed<"), "{items}");
    assert!(items.contains("damaged · 1 photo(s)"), "{items}");
    let form = section(&page, "id=\"warehouse-decision\"");
    for (value, label) in [
        ("return_refund", "Return and refund"),
        ("reorder", "Reorder"),
        ("accept", "Accept as is"),
    ] {
        assert!(
            form.contains(&format!("value=\"{value}\">{label}</button>")),
            "{form}"
        );
    }

    let csrf = b.csrf().await;
    // A decision the form does not offer: refused, nothing decided.
    let odd = b
        .post_form(
            &format!("/orders/{id}/warehouse/decision"),
            &[("csrf_token", &csrf), ("decision", "keep_it")],
        )
        .await;
    let page = posted_back(&mut b, odd, &id).await;
    assert!(page.contains("Not decided."), "{page}");
    let state = &view(app, &id).await["items"][0]["state"];
    assert_eq!(state["state"], json!("failed"), "{state}");
    assert!(state["choice"].is_null(), "{state}");

    let accepted = b
        .post_form(
            &format!("/orders/{id}/warehouse/decision"),
            &[("csrf_token", &csrf), ("decision", "accept")],
        )
        .await;
    let page = posted_back(&mut b, accepted, &id).await;
    assert!(page.contains("1 failed item(s) accepted as is"), "{page}");
    assert!(
        !page.contains("id=\"warehouse-decision\""),
        "the form is gone"
    );
    assert!(section(&page, "id=\"warehouse-items\"").contains("accepted as is"));
    let v = view(app, &id).await;
    assert_eq!(
        v["items"][0]["state"]["choice"],
        json!("accept_as_is"),
        "{v}"
    );
    assert_eq!(v["stage"], json!("inspected"), "{v}");
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_stores_staff_get_404_a_post_without_csrf_changes_nothing_and_a_short_wallet_is_said()
{
    let w = world().await;
    let app = &w.app;
    // A heavy parcel: its dearest carrier costs more than the $500 in the wallet.
    let (id, package) = packed(
        &w,
        9_600_003,
        json!({ "weight_g": 30000, "length_cm": 60, "width_cm": 50, "height_cm": 50 }),
    )
    .await;
    let package_id = package["id"].as_str().expect("package id");
    let dearest = quote_by_price(&package, true);
    let code = dearest["code"].as_str().expect("code");

    // Staff of another store of the same account: the order does not exist for them.
    let theirs: StoreId = app
        .register_woo_store("https://theirs.example", WOO_SECRET)
        .await
        .parse()
        .unwrap();
    let staff = "staff@theirs.example";
    user_token(app, DEFAULT_ACCOUNT, staff, Role::Staff, &[theirs]).await;
    let mut s = Browser::sign_in(app, staff).await;
    assert_eq!(
        s.get(&format!("/orders/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let refused = choose_service(&mut s, &id, package_id, code).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(view(app, &id).await["stage"], json!("packed"));

    // The owner, without the CSRF token: 403, nothing chosen.
    let mut b = owner(&w).await;
    let before = app.order_detail(&id).await;
    let forged = b
        .post_form(
            &format!("/orders/{id}/shipping"),
            &[("package_id", package_id), ("service", code)],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.order_detail(&id).await, before);
    let v = view(app, &id).await;
    assert_eq!(v["stage"], json!("packed"));
    assert!(v["packages"][0]["carrier_code"].is_null(), "{v}");

    // Chosen on the page; paying finds the wallet short: said, nothing paid, it waits.
    let chosen = choose_service(&mut b, &id, package_id, code).await;
    posted_back(&mut b, chosen, &id).await;
    let csrf = b.csrf().await;
    let before = usd_wallet(&w).await;
    let short = b
        .post_form(
            &format!("/orders/{id}/shipping/pay"),
            &[("csrf_token", &csrf), ("package_id", package_id)],
        )
        .await;
    let page = posted_back(&mut b, short, &id).await;
    assert!(
        page.contains("Not paid. The wallet cannot pay the shipping fee"),
        "{page}"
    );
    assert!(page.contains("top up and pay again"), "{page}");
    assert!(
        page.contains("Pay shipping fee"),
        "still offered after a top-up"
    );
    assert_eq!(usd_wallet(&w).await, before, "nothing moved in the wallet");
    assert_eq!(
        view(app, &id).await["stage"],
        json!("awaiting_shipping_fee")
    );
    w.app.stop().await;
}

/// Brings a one-item order to the warehouse and through inspection.
async fn inspected(w: &World, id: &str) {
    all_paid(&w.app, id, 1).await;
    sellers_ship(w, id).await;
    let v = wait_stage(&w.app, id, "shipped_to_warehouse").await;
    scan(&w.app, &inbound_numbers(&v)[0]).await;
    wait_stage(&w.app, id, "arrived").await;
    pass_arrived(&w.app, id).await;
    wait_stage(&w.app, id, "inspected").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_parcel_links_its_orders_and_says_what_went_in() {
    let w = world().await;
    let app = &w.app;
    let (a, order_a) = order(&w, 9_600_021, 1).await;
    let (b, _) = crate::warehouse::order_with(&w, 9_600_022, 1, |o| {
        o["shipping_address"] = order_a["shipping_address"].clone();
    })
    .await;
    inspected(&w, &a).await;
    inspected(&w, &b).await;
    let mut tx = app.db.begin().await.unwrap();
    dropflow::storage::branding::put_in(
        &mut tx,
        w.store.parse().unwrap(),
        &dropflow::storage::branding::BrandingUpdate {
            logo: None,
            remove_logo: false,
            card_text: "Thank you!".into(),
            include_logo: false,
            include_card: true,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let packed = app
        .api_post(
            &format!("/api/v1/warehouse/orders/{a}/pack"),
            &json!({ "weight_g": 900, "length_cm": 30, "width_cm": 20, "height_cm": 12,
                "with_orders": [b] }),
        )
        .await;
    let package = expect_json(packed, StatusCode::OK).await;
    let package_id = package["id"].as_str().expect("package id");

    let mut browser = owner(&w).await;
    for (this, other, name) in [(&a, &b, "#9600022"), (&b, &a, "#9600021")] {
        let page = browser.page(&format!("/orders/{this}")).await;
        let shared = section(&page, "id=\"warehouse-combined\"");
        assert!(
            shared.contains(&format!("<a href=\"/orders/{other}\">order {name}</a>")),
            "{shared}"
        );
        let block = section(&page, &format!("id=\"package-{package_id}\""));
        assert!(block.contains("<dd>a thank-you card</dd>"), "{block}");
        assert!(block.contains("900 g · 30 × 20 × 12 cm"), "{block}");
    }
    w.app.stop().await;
}
