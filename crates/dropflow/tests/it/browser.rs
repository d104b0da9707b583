//! The dashboard in a real browser: headless Chromium driven over WebDriver (chromedriver),
//! plus plain-HTTP checks of login errors and CSRF. Screenshots of the main pages go to
//! `<target>/screenshots/`.
//!
//! Needs `chromium` and `chromium-driver` (Debian; `.ci/run` installs them). Without
//! chromedriver these tests FAIL, on purpose: a dashboard test that silently passes tests
//! nothing.

use crate::support::cj_world::{awaiting_payment, cj_shop, one_line_order, purchase, wait_status};
use crate::support::*;
use crate::warehouse::stage;
use dropflow::storage::accounts::Role;
use dropflow_core::ids::StoreId;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver of this test, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "the browser tests need Chromium and chromedriver: \
         apt-get install -y chromium chromium-driver (CI's .ci/run installs them)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    Driver { child, port }
}

/// A headless Chromium session (phone-sized when `width` is small).
async fn browser(driver: &Driver, width: u32) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                format!("--window-size={width},900")],
        }),
    );
    let url = format!("http://127.0.0.1:{}", driver.port);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return client,
            Err(e) if tokio::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot start a Chromium session through chromedriver: {e}"),
        }
    }
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

/// Signs in through the login form as `email` (every test user has [`PASSWORD`]).
async fn log_in(client: &Client, app: &TestApp, email: &str) {
    client.goto(&app.url("/login")).await.expect("open login");
    fill(client, "email", email).await;
    fill(client, "password", PASSWORD).await;
    click(client, Locator::Css("button[type=submit]"), "sign in").await;
}

/// A browser `width` pixels wide, signed in as `email`.
async fn signed_in(driver: &Driver, app: &TestApp, width: u32, email: &str) -> Client {
    let client = browser(driver, width).await;
    log_in(&client, app, email).await;
    client
}

/// Types `text` into the field with this id.
async fn fill(client: &Client, id: &str, text: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no field #{id}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into #{id}: {e}"));
}

/// What `locator` finds (`what` names it in a failure).
async fn find(client: &Client, locator: Locator<'_>, what: &str) -> fantoccini::elements::Element {
    client
        .find(locator)
        .await
        .unwrap_or_else(|e| panic!("no {what}: {e}"))
}

/// Clicks what `locator` finds (`what` names it in a failure).
async fn click(client: &Client, locator: Locator<'_>, what: &str) {
    find(client, locator, what)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {what}: {e}"));
}

/// The text of what `locator` finds (`what` names it in a failure).
async fn text_of(client: &Client, locator: Locator<'_>, what: &str) -> String {
    find(client, locator, what)
        .await
        .text()
        .await
        .unwrap_or_else(|e| panic!("the text of {what}: {e}"))
}

async fn body_text(client: &Client) -> String {
    text_of(client, Locator::Css("body"), "body").await
}

/// Waits (without reloading) until the page's text contains `wanted`: a click that submits
/// a form returns before the next page has loaded. The page's text either way.
async fn wait_text(client: &Client, wanted: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = match client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(wanted) || tokio::time::Instant::now() >= deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the page says `wanted`, failing if it never does; the page's text.
async fn wait_for(client: &Client, wanted: &str) -> String {
    let text = wait_text(client, wanted).await;
    assert!(text.contains(wanted), "{text}");
    text
}

/// Closes the browser, then stops the app (checking its jobs).
async fn finish(client: Client, app: TestApp) {
    client.close().await.expect("close");
    app.stop().await;
}

/// Reloads until the text of `selector` contains `wanted`, or the deadline passes.
async fn reload_until(client: &Client, selector: &str, wanted: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = match client.find(Locator::Css(selector)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(wanted) || tokio::time::Instant::now() >= deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        client.refresh().await.expect("reload");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_pays_an_order_awaiting_payment_and_sees_it_move_on() {
    let driver = start_driver();
    let (_cj, app, _) = awaiting_payment(9_400_001).await;
    add_owner(&app, "owner@example.com").await;

    let client = browser(&driver, 1280).await;
    client.goto(&app.url("/login")).await.expect("login page");
    screenshot(&client, "login").await;
    log_in(&client, &app, "owner@example.com").await;
    wait_text(&client, "Awaiting Payment").await;
    // The tab link carries its count.
    let tab = client
        .find(Locator::XPath("//a[contains(., 'Awaiting Payment')]"))
        .await
        .expect("Awaiting Payment tab");
    assert!(tab.text().await.expect("tab text").contains('1'));
    tab.click().await.expect("open the tab");
    wait_text(&client, "#9400001").await;
    screenshot(&client, "orders").await;
    let order_link = Locator::LinkText("#9400001");
    click(&client, order_link, "the order in Awaiting Payment").await;
    wait_text(&client, "Order #9400001").await;
    assert_eq!(
        text_of(&client, Locator::Id("order-tab"), "status").await,
        "Awaiting Payment"
    );
    screenshot(&client, "order-detail").await;
    let pay = Locator::XPath("//button[normalize-space()='Pay']");
    click(&client, pay, "a Pay button").await;
    wait_for(&client, "Payment queued").await;
    let status = reload_until(&client, "#order-tab", "Awaiting Shipment").await;
    assert_eq!(status, "Awaiting Shipment");
    // Nothing left to pay: the button is gone; the timeline says who asked.
    assert!(client.find(pay).await.is_err());
    assert!(body_text(&client).await.contains("user:owner@example.com"));

    // The phone-width list.
    let phone = signed_in(&driver, &app, 390, "owner@example.com").await;
    wait_text(&phone, "Awaiting Payment").await;
    phone.goto(&app.url("/orders")).await.expect("orders");
    wait_text(&phone, "#9400001").await;
    screenshot(&phone, "orders-phone").await;
    phone.close().await.expect("close");
    finish(client, app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_enters_tracking_and_a_typo_is_refused() {
    let driver = start_driver();
    let (_cj, app, store) = cj_shop().await;
    // The store has no Admin API set: the parcel waits for it, the push failing; this test is
    // about the vendor's form.
    app.expect_failed_jobs("shipment.push");
    let id = one_line_order(&app, &store, 9_400_002, "manual").await;
    wait_status(&app, &id, "awaiting_shipment").await;
    add_vendor(&app, "vendor@example.com", "vendor-a").await;

    let client = signed_in(&driver, &app, 1280, "vendor@example.com").await;
    let text = wait_text(&client, "Orders to ship").await;
    assert!(text.contains("#9400002"), "{text}");
    assert!(client
        .current_url()
        .await
        .expect("url")
        .path()
        .ends_with("/vendor"));
    screenshot(&client, "vendor").await;
    let enter = |number: &'static str| {
        let client = client.clone();
        async move {
            let field = client
                .find(Locator::Css("#to-ship input[name=tracking_number]"))
                .await
                .expect("tracking field");
            field.clear().await.expect("clear");
            field.send_keys(number).await.expect("type");
            click(
                &client,
                Locator::Css("#to-ship button[type=submit]"),
                "submit",
            )
            .await;
        }
    };
    // One digit off a valid UPU S10 number: refused, saying why.
    enter("RR123456784CN").await;
    let text = wait_text(&client, "Not recorded").await;
    assert!(
        text.contains("Not recorded") && text.contains("check digit"),
        "{text}"
    );
    enter("RR123456785CN").await;
    wait_for(&client, "Tracking recorded").await;
    let shipped = Locator::Css("#shipped .tracking");
    let shipped = text_of(&client, shipped, "the shipped list").await;
    assert_eq!(shipped, "RR123456785CN");
    assert_eq!(purchase(&app, &id).await["status"], json!("shipped"));
    // A vendor has no orders list.
    client.goto(&app.url("/orders")).await.expect("orders");
    wait_for(&client, "Not allowed").await;
    finish(client, app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_of_one_store_cannot_open_another_stores_order() {
    let driver = start_driver();
    let app = TestApp::spawn().await;
    let store_a: StoreId = app.shopify_store().await.parse().expect("id");
    let b_domain = "other-shop.myshopify.com";
    app.register_shopify_store(b_domain, SHOPIFY_SECRET).await;
    let order_a = app.create_order(&paid_order(9_400_010, "#A1")).await;
    let order_b = app
        .create_order_from(b_domain, &paid_order(9_400_011, "#B1"))
        .await;
    add_member(&app, "staff@example.com", Role::Staff, &[store_a]).await;

    let client = signed_in(&driver, &app, 1280, "staff@example.com").await;
    let list = wait_for(&client, "#A1").await;
    assert!(!list.contains("#B1"), "{list}");
    client
        .goto(&app.url(&format!("/orders/{order_b}")))
        .await
        .expect("open B");
    let text = wait_text(&client, "Not found").await;
    assert!(
        text.contains("Not found") && !text.contains("#B1"),
        "{text}"
    );
    client
        .goto(&app.url(&format!("/orders/{order_a}")))
        .await
        .expect("open A");
    wait_for(&client, "Order #A1").await;
    client.close().await.expect("close");

    // The 404 is a real status, not a 200 page saying so.
    let cookie = session_cookie(&app, "staff@example.com").await;
    let response = app
        .client()
        .get(app.url(&format!("/orders/{order_b}")))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND);
    app.stop().await;
}

/// A plain HTTP client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Opens the login page over plain HTTP and posts its form (with its cookie and CSRF token)
/// as `email` with `password`; the answer.
async fn post_login(
    client: &reqwest::Client,
    app: &TestApp,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let login = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("GET login");
    let login_cookie = set_cookie(&login, "dropflow_login");
    let token = csrf_in(&login.text().await.expect("html"));
    client
        .post(app.url("/login"))
        .header("cookie", format!("dropflow_login={login_cookie}"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("POST login")
}

/// Signs in over plain HTTP; the `Cookie` header value for the session.
async fn session_cookie(app: &TestApp, email: &str) -> String {
    let response = post_login(&no_redirects(), app, email, PASSWORD).await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    let cookie = set_cookie(&response, "dropflow_session");
    let header = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap_or("").to_string())
        .find(|c| c.starts_with("dropflow_session="))
        .expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(header.contains(attribute), "{header}");
    }
    format!("dropflow_session={cookie}")
}

fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .expect("cookie set")
        .to_string()
}

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().expect("token").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_gets_the_generic_error_and_a_post_without_csrf_is_refused() {
    let app = TestApp::spawn_with_shop().await;
    let order = app.create_order(&paid_order(9_400_020, "#C1")).await;
    add_owner(&app, "owner2@example.com").await;
    let client = no_redirects();
    let attempt = |email: &'static str, password: &'static str| {
        let client = &client;
        let app = &app;
        async move {
            let response = post_login(client, app, email, password).await;
            (response.status(), response.text().await.expect("body"))
        }
    };
    let (status, wrong) = attempt("owner2@example.com", "not the password").await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    let (_, unknown) = attempt("nobody@example.com", "not the password").await;
    let message = dropflow::dashboard::login::LOGIN_FAILED;
    assert!(wrong.contains(message) && unknown.contains(message));
    // Without the login form's token, not even a right password signs in.
    let response = client
        .post(app.url("/login"))
        .form(&[("email", "owner2@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), reqwest::StatusCode::FORBIDDEN);
    // Five failures lock the address, even with the right password next.
    for _ in 0..4 {
        attempt("owner2@example.com", "still wrong").await;
    }
    let (status, locked) = attempt("owner2@example.com", PASSWORD).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    assert!(locked.contains(message));

    // Signed in (another user), a POST without the CSRF token is refused and does nothing.
    add_owner(&app, "owner3@example.com").await;
    let cookie = session_cookie(&app, "owner3@example.com").await;
    let routes_before = app.jobs_for(&order, "order.route").await;
    let response = client
        .post(app.url(&format!("/orders/{order}/retry")))
        .header("cookie", &cookie)
        .form(&[("x", "y")])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), reqwest::StatusCode::FORBIDDEN);
    assert_eq!(app.jobs_for(&order, "order.route").await, routes_before);
    // With it, the same POST goes through.
    let page = client
        .get(app.url(&format!("/orders/{order}")))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("GET");
    let token = csrf_in(&page.text().await.expect("html"));
    let response = client
        .post(app.url(&format!("/orders/{order}/retry")))
        .header("cookie", &cookie)
        .header("x-csrf-token", token)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(app.jobs_for(&order, "order.route").await, routes_before + 1);
    // No session: pages go to the login page.
    let response = client.get(app.url("/orders")).send().await.expect("GET");
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/login");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_scans_a_parcel_and_passes_its_item() {
    let driver = start_driver();
    let w = crate::warehouse::world().await;
    let operator = "operator@shop.example";
    add_member(&w.app, operator, Role::Warehouse, &[]).await;
    let (id, number) = crate::warehouse_operator::shipped_to_warehouse(&w, 9_500_010).await;
    let client = signed_in(&driver, &w.app, 1000, operator).await;
    wait_text(&client, "Scan the parcel").await;
    // The scan field has the focus: a barcode scanner types the number and Enter.
    let focused = client.active_element().await.expect("focused element");
    assert_eq!(
        focused.attr("id").await.expect("id").as_deref(),
        Some("scan")
    );
    focused
        .send_keys(&format!("{number}\u{E007}"))
        .await
        .expect("scan");
    let text = wait_text(&client, "ready to inspect").await;
    assert!(text.contains("order #9500010"), "{text}");
    let listed = text_of(&client, Locator::Css("#to-inspect"), "to inspect").await;
    assert!(listed.contains("#9500010"), "{listed}");
    screenshot(&client, "warehouse").await;
    for name in [
        "title_matches",
        "variant_matches",
        "undamaged",
        "marketing_material_removed",
    ] {
        let checkbox = format!("#to-inspect input[name={name}]");
        click(&client, Locator::Css(&checkbox), "checkbox").await;
    }
    click(
        &client,
        Locator::Css("#to-inspect button[value=pass]"),
        "pass button",
    )
    .await;
    wait_for(&client, "Inspection recorded: passed.").await;
    let to_pack = text_of(&client, Locator::Css("#to-pack"), "ready to pack").await;
    assert!(to_pack.contains("#9500010"), "{to_pack}");
    assert_eq!(stage(&w.app, &id).await, json!("inspected"));
    finish(client, w.app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_chooses_a_carrier_and_pays_the_shipping_fee_on_a_phone() {
    let driver = start_driver();
    let w = crate::warehouse::world().await;
    add_owner(&w.app, "owner@shop.example").await;
    let measures = json!({ "weight_g": 480, "length_cm": 25, "width_cm": 18, "height_cm": 8 });
    let (id, _) = crate::dashboard_warehouse::packed(&w, 9_600_010, measures).await;
    let client = signed_in(&driver, &w.app, 420, "owner@shop.example").await;
    wait_text(&client, "Orders").await;
    client
        .goto(&w.app.url(&format!("/orders/{id}")))
        .await
        .expect("open the order");
    let text = wait_text(&client, "Packed: choose a carrier").await;
    assert!(text.contains("Carrier options"), "{text}");
    let choose = Locator::Css("#warehouse .carriers button[name=service]");
    click(&client, choose, "a Choose button").await;
    wait_for(&client, "Carrier chosen").await;
    let pay_fee = Locator::Css("#warehouse form[action$='/shipping/pay'] button");
    click(&client, pay_fee, "the Pay shipping fee button").await;
    wait_for(&client, "paid from the wallet").await;
    let paid = Locator::Css("#warehouse .package-paid");
    let paid = text_of(&client, paid, "the fee paid line").await;
    assert!(paid.starts_with("paid"), "{paid}");
    client
        .execute(
            "document.querySelector('#warehouse .package').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scroll to the package");
    screenshot(&client, "order-warehouse").await;
    // On a phone the carriers table folds into cards: nothing in the section is cut off.
    let fits = client
        .execute(
            "const s = document.querySelector('#warehouse'); return s.scrollWidth <= s.clientWidth;",
            vec![],
        )
        .await
        .expect("measure the section");
    assert_eq!(
        fits,
        json!(true),
        "the Warehouse section is wider than the phone"
    );
    assert_eq!(stage(&w.app, &id).await, json!("fee_paid"));
    finish(client, w.app).await;
}

/// A supplier's error can be one long unbroken string (a JSON body, a URL): on a phone it
/// wraps inside its card instead of pushing the page sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_supplier_error_wraps_inside_its_card_on_a_phone() {
    let driver = start_driver();
    let (_cj, app, id) = awaiting_payment(9_400_101).await;
    // What a supplier may answer: one token with no place to break.
    let long = format!(
        "{{\"code\":1603101,\"message\":\"order_pay_fail\",\"data\":\"{}\"}}",
        "A".repeat(400)
    );
    sqlx::query("UPDATE supplier_orders SET last_error = $1 WHERE order_id = $2")
        .bind(&long)
        .bind(&id)
        .execute(&app.db.writer)
        .await
        .expect("set the supplier's error");
    add_owner(&app, "owner@example.com").await;

    let phone = signed_in(&driver, &app, 390, "owner@example.com").await;
    wait_text(&phone, "Awaiting Payment").await;
    phone
        .goto(&app.url(&format!("/orders/{id}")))
        .await
        .expect("the order page");
    wait_text(&phone, "order_pay_fail").await;
    let measured = phone
        .execute(
            "const b = document.querySelector('#supplier-orders .badge-bad');
             const card = b.closest('tr').getBoundingClientRect();
             const r = b.getBoundingClientRect();
             return { inside: r.left >= card.left - 1 && r.right <= card.right + 1,
                      wrapped: r.height > 3 * parseFloat(getComputedStyle(b).fontSize),
                      page_fits: document.documentElement.scrollWidth <= window.innerWidth };",
            vec![],
        )
        .await
        .expect("measure the error");
    assert_eq!(
        measured,
        json!({"inside": true, "wrapped": true, "page_fits": true}),
        "the supplier's error runs out of its card"
    );
    screenshot(&phone, "order-long-error-phone").await;
    finish(phone, app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_opens_a_refund_case_from_the_order_page_and_sees_it_listed() {
    use crate::cases::shipped_order;
    let driver = start_driver();
    let (_cj, app, _, world) = shipped_order(9_400_201, 2, 9_400_201).await;
    add_owner(&app, "owner@cases.example").await;
    // A refund with nothing to send back is paid at once through the store's Admin API,
    // which this store has not been given: that job fails (and flags the order) on purpose.
    app.expect_failed_jobs(dropflow_core::jobs::REFUND_CUSTOMER);

    let client = signed_in(&driver, &app, 1280, "owner@cases.example").await;
    wait_text(&client, "Orders").await;
    client
        .goto(&app.url(&format!("/orders/{}", world.order)))
        .await
        .expect("open the order");
    let text = wait_for(&client, "Open a case").await;
    assert!(
        text.contains("No after-sale case for this order yet."),
        "{text}"
    );
    let units = format!("#case-open input[name='qty.{}']", world.line_a);
    let field = find(&client, Locator::Css(&units), "line A's units").await;
    field.clear().await.expect("clear");
    field.send_keys("1").await.expect("type the units");
    // Damaged and refund are the first choices; chosen explicitly all the same.
    click(
        &client,
        Locator::Css("#case-reason option[value=damaged]"),
        "reason",
    )
    .await;
    click(
        &client,
        Locator::Css("#case-resolution option[value=refund]"),
        "resolution",
    )
    .await;
    fill(&client, "case-goods", &world.unit_price).await;
    fill(&client, "case-note", "The mug arrived cracked.").await;
    screenshot(&client, "order-case-open").await;
    click(
        &client,
        Locator::Css("#case-open button[type=submit]"),
        "Open the case",
    )
    .await;
    wait_for(&client, "Case opened: 1 unit(s), refund.").await;
    let cases = app
        .api_json(&format!("/api/v1/orders/{}/cases", world.order))
        .await;
    assert_eq!(cases.as_array().map(Vec::len), Some(1), "{cases}");
    let id = cases[0]["id"].as_str().expect("case id").to_string();
    assert_eq!(cases[0]["reason"], json!("damaged"));
    assert_eq!(cases[0]["terms"]["goods"], json!(world.unit_price));
    assert_eq!(cases[0]["lines"][0]["quantity"], json!(1));
    // Listed on the order page with its state and its note.
    let card = text_of(&client, Locator::Id(&format!("case-{id}")), "the case").await;
    assert!(card.contains("damaged: refund"), "{card}");
    assert!(card.contains("The mug arrived cracked."), "{card}");
    assert!(card.contains("1 × "), "{card}");
    client
        .execute(
            &format!("document.getElementById('case-{id}').scrollIntoView();"),
            vec![],
        )
        .await
        .expect("scroll to the case");
    screenshot(&client, "order-case").await;
    // One unit is still open: the form offers at most that.
    let max = find(&client, Locator::Css(&units), "line A's units")
        .await
        .attr("max")
        .await
        .expect("max");
    assert_eq!(max.as_deref(), Some("1"));
    // And on the Returns tab.
    client.goto(&app.url("/returns")).await.expect("returns");
    let listed = text_of(&client, Locator::Id("cases"), "the Returns list").await;
    assert!(listed.contains("damaged"), "{listed}");
    app.allow_pending_jobs();
    finish(client, app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_refuses_a_case_with_a_note_on_the_vendor_page() {
    use crate::cases::{open, refund_case, shipped_order, WAIT};
    let driver = start_driver();
    let (_cj, app, _, world) = shipped_order(9_400_202, 1, 9_400_202).await;
    // Refunded once the goods are back: the supplier of the damaged goods is asked now.
    let body = refund_case(&world.line_a, 1, &world.unit_price, true);
    let case = expect_json(
        open(&app, &world.order, &body).await,
        reqwest::StatusCode::CREATED,
    )
    .await;
    let id = case["id"].as_str().expect("case id").to_string();
    let asked = eventually(WAIT, || async {
        app.api_json(&format!("/api/v1/cases/{id}")).await["supplier"]["state"] == json!("asked")
    })
    .await;
    assert!(asked, "vendor A is asked about the case");

    // The vendor user `handed_over_order` made for vendor A signs in with the test password.
    let vendor = format!("a{}@vendor.test", world.number);
    let client = signed_in(&driver, &app, 1000, &vendor).await;
    let text = wait_for(&client, "Cases about your purchases").await;
    assert!(text.contains("arrived cracked"), "{text}");
    let note = format!("refuse-note-{id}");
    fill(
        &client,
        &note,
        "Not our fault: the courier crushed the box.",
    )
    .await;
    screenshot(&client, "vendor-case").await;
    click(
        &client,
        Locator::Css(&format!(
            "#case-{id} form.supplier-refused button[type=submit]"
        )),
        "Record the refusal",
    )
    .await;
    wait_for(&client, "refusal is recorded on the case").await;
    let answered = text_of(
        &client,
        Locator::Id("vendor-cases-answered"),
        "the answered cases",
    )
    .await;
    assert!(
        answered.contains("refused: Not our fault: the courier crushed the box."),
        "{answered}"
    );
    assert!(
        client.find(Locator::Id(&note)).await.is_err(),
        "no form left"
    );
    let case = app.api_json(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["supplier"]["state"], json!("refused"), "{case}");
    assert_eq!(
        case["supplier"]["note"],
        json!("Not our fault: the courier crushed the box.")
    );
    app.allow_pending_jobs();
    finish(client, app).await;
}
