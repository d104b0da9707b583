//! The merchant's Warehouse section of `/orders/{id}` through a browser-like client signed in
//! with the login form: what is missing with its tracking, ship what is here, the carriers
//! and the fee after packing, the decision on a failed item, the wallet's shortfall, other
//! stores' staff (404) and a POST without its CSRF token (403, nothing changed).

use crate::dashboard_pages::Browser;
use crate::support::*;
use crate::warehouse::{
    brand_with_card, cheapest, dearest, fail_item, heavy_parcel, order, order_with, pack,
    pack_measured, parcel_with, parcels_sent, pass_arrived, ready_to_pack, received_item,
    same_address_as, scan, view, wait_stage, world, World,
};
use crate::warehouse_operator::shipped_to_warehouse;
use dropflow::storage::accounts::Role;
use dropflow_core::ids::StoreId;
use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

const OWNER: &str = "owner@shop.example";

async fn owner(w: &World) -> Browser {
    member_token(&w.app, OWNER, Role::Owner, &[]).await;
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
    let packed = pack_measured(&w.app, &id, &measures).await;
    (id, expect_json(packed, StatusCode::OK).await)
}

/// Sends a one-field form of the order page to `/orders/{id}/{action}` with the session's
/// `csrf` token; the page it goes back to.
async fn submit_order_form(
    b: &mut Browser,
    csrf: &str,
    id: &str,
    action: &str,
    field: (&str, &str),
) -> String {
    let form = [("csrf_token", csrf), field];
    let answer = b.post_form(&format!("/orders/{id}/{action}"), &form).await;
    posted_back(b, answer, id).await
}

/// Pays the package's shipping fee with the order page's button; the page it goes back to.
async fn pay_on_page(b: &mut Browser, csrf: &str, id: &str, package_id: &str) -> String {
    submit_order_form(b, csrf, id, "shipping/pay", ("package_id", package_id)).await
}

/// Sends the order page's decision on its failed items; the page it goes back to.
async fn decide_on_page(b: &mut Browser, csrf: &str, id: &str, decision: &str) -> String {
    submit_order_form(b, csrf, id, "warehouse/decision", ("decision", decision)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_ships_what_is_here_chooses_a_carrier_and_pays_the_fee() {
    let w = world().await;
    let app = &w.app;
    // Until the purchases are paid the order has no warehouse leg (404): ask again.
    let (id, _, numbers) = parcels_sent(&w, 9_600_001, 2).await;
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

    let cheapest = cheapest(&package);
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

    let before = w.wallet("USD").await;
    let page = pay_on_page(&mut b, &csrf, &id, package_id).await;
    assert!(page.contains("paid from the wallet"), "{page}");
    let block = section(&page, &format!("id=\"package-{package_id}\""));
    assert!(block.contains("<strong>paid</strong>"), "{block}");
    assert!(!block.contains("Pay shipping fee"), "{block}");
    assert_ne!(w.wallet("USD").await["spent"], before["spent"]);
    let v = view(app, &id).await;
    assert_eq!(v["stage"], json!("fee_paid"), "{v}");
    assert!(v["packages"][0]["fee_paid_at"].is_string());

    // Paying again: refused with the reason, nothing charged twice.
    let page = pay_on_page(&mut b, &csrf, &id, package_id).await;
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
    let (id, _) = shipped_to_warehouse(&w, 9_600_002).await;
    fail_item(app, &received_item(app, &id).await).await;

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
    let page = decide_on_page(&mut b, &csrf, &id, "keep_it").await;
    assert!(page.contains("Not decided."), "{page}");
    let state = &view(app, &id).await["items"][0]["state"];
    assert_eq!(state["state"], json!("failed"), "{state}");
    assert!(state["choice"].is_null(), "{state}");

    let page = decide_on_page(&mut b, &csrf, &id, "accept").await;
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
    let (id, package) = packed(&w, 9_600_003, heavy_parcel()).await;
    let package_id = package["id"].as_str().expect("package id");
    let dearest = dearest(&package);
    let code = dearest["code"].as_str().expect("code");

    // Staff of another store of the same account: the order does not exist for them.
    let theirs: StoreId = app
        .register_woo_store("https://theirs.example", WOO_SECRET)
        .await
        .parse()
        .unwrap();
    let staff = "staff@theirs.example";
    member_token(app, staff, Role::Staff, &[theirs]).await;
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
    let before = w.wallet("USD").await;
    let page = pay_on_page(&mut b, &csrf, &id, package_id).await;
    assert!(
        page.contains("Not paid. The wallet cannot pay the shipping fee"),
        "{page}"
    );
    assert!(page.contains("top up and pay again"), "{page}");
    assert!(
        page.contains("Pay shipping fee"),
        "still offered after a top-up"
    );
    assert_eq!(w.wallet("USD").await, before, "nothing moved in the wallet");
    assert_eq!(
        view(app, &id).await["stage"],
        json!("awaiting_shipping_fee")
    );
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_parcel_links_its_orders_and_says_what_went_in() {
    let w = world().await;
    let app = &w.app;
    let (a, order_a) = order(&w, 9_600_021, 1).await;
    let (b, _) = order_with(&w, 9_600_022, 1, same_address_as(&order_a)).await;
    ready_to_pack(&w, &a).await;
    ready_to_pack(&w, &b).await;
    brand_with_card(&w, None).await;
    let packed = pack_measured(app, &a, &parcel_with(&[&b])).await;
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
