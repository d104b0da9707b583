//! The test harness: a fresh database per test (SQLite file or PostgreSQL database, chosen by
//! `DROPFLOW_TEST_DATABASE`), a running dropflow on an ephemeral port, an API token, and
//! helpers that speak to it the way stores and merchants do. A test whose app leaves jobs
//! failed or undrained fails at its end unless it declared them ([`job_check`]).

pub mod cj_world;
pub mod job_check;
pub mod multipart;
pub mod users;

pub use multipart::Multipart;
pub use users::{
    add_member, add_owner, add_user, add_vendor, member_token, new_account, user_token,
    vendor_token, PASSWORD,
};

use dropflow::config::Config;
use dropflow::fulfilment::Services;
use dropflow::jobs::Registry;
use dropflow::storage::{Database, Engine};
use dropflow_sandbox::shopify::{self, ShopifyWebhook};
use dropflow_sandbox::shopify_admin::ShopifyAdminSandbox;
use dropflow_sandbox::woocommerce::{self, WooWebhook};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The Shopify shop every test store pretends to be unless told otherwise.
pub const SHOP: &str = shopify::SHOP_DOMAIN;
/// The app secret test Shopify stores are registered with.
pub const SHOPIFY_SECRET: &str = "shpss_test_secret_0123456789abcdef";
/// The webhook secret test WooCommerce stores are registered with.
pub const WOO_SECRET: &str = "wc_webhook_secret_0123456789abcdef";
/// The tables taking in a store's order writes to (a refused one must leave them empty).
pub const INTAKE_TABLES: [&str; 5] = [
    "orders",
    "order_lines",
    "order_events",
    "webhook_receipts",
    "jobs",
];
/// The name of the API token the harness creates (the timeline's merchant actor).
pub const TOKEN_NAME: &str = "it-tests";

/// Which engine this run tests, from `DROPFLOW_TEST_DATABASE`.
pub fn admin_postgres_url() -> Option<String> {
    match std::env::var("DROPFLOW_TEST_DATABASE") {
        Ok(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Some(url),
        Ok(url) if url.is_empty() || url == "sqlite" => None,
        Ok(other) => panic!(
            "DROPFLOW_TEST_DATABASE must be unset, `sqlite` or a postgres:// URL, not {other:?}"
        ),
        Err(_) => None,
    }
}

/// `url` with its database (path) component replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[host_start..].find('/') {
        Some(slash) => &base[..host_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// One test's own empty database. Dropping it removes it (the SQLite folder, or the
/// PostgreSQL database, forcibly).
pub struct TestDb {
    pub url: String,
    pub engine: Engine,
    /// Holds the SQLite file (and is a scratch folder for CLI runs on both engines).
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn create() -> TestDb {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().expect("temp dir");
        match admin_postgres_url() {
            None => TestDb {
                url: format!("sqlite://{}/t.db", dir.path().display()),
                engine: Engine::Sqlite,
                dir,
                postgres: None,
            },
            Some(admin) => {
                let name = format!("dropflow_test_{}", uuid::Uuid::now_v7().simple());
                let mut conn = sqlx::AnyConnection::connect(&admin)
                    .await
                    .expect("connect to the PostgreSQL admin URL");
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .await
                    .expect("create the test database");
                let _ = conn.close().await;
                TestDb {
                    url: with_database(&admin, &name),
                    engine: Engine::Postgres,
                    dir,
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    /// A new connection (both pools) to this database, migrated.
    pub async fn connect(&self) -> Database {
        let db = Database::connect(&self.url).await.expect("connect");
        db.migrate().await.expect("migrate");
        db
    }

    /// A fresh database and a migrated connection to it (keep the `TestDb` alive: dropping
    /// it removes the database).
    pub async fn migrated() -> (TestDb, Database) {
        let testdb = TestDb::create().await;
        let db = testdb.connect().await;
        (testdb, db)
    }

    /// A new connection without migrating.
    pub async fn connect_raw(&self) -> Database {
        Database::connect(&self.url).await.expect("connect")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop may run inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

/// The configuration tests run with: ephemeral port, quick job polling.
pub fn test_config(db: &TestDb) -> Config {
    let mut config = Config::default();
    config.database.url = db.url.clone();
    config.http.listen = "127.0.0.1:0".into();
    config.jobs.poll_ms = 10;
    config.jobs.lease_secs = 5;
    config.jobs.concurrency = 4;
    // Tests' webhook receivers, sandboxes and Admin APIs listen on 127.0.0.1.
    config.outbound.allow_private_addresses = true;
    config
}

/// A running dropflow on its own database.
pub struct TestApp {
    pub base_url: String,
    /// The app's own pools (writer and reader).
    pub db: Database,
    /// A valid API token.
    pub token: String,
    pub testdb: TestDb,
    running: Option<dropflow::app::Running>,
    client: reqwest::Client,
    /// The job kinds this app's runner handles: only those are checked at the end.
    handled_kinds: Vec<String>,
    /// What the test declared it leaves in the queue.
    expected_jobs: std::sync::Mutex<job_check::Expected>,
    /// Whether the end-of-test job check has run ([`TestApp::stop`] runs it).
    jobs_checked: bool,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_custom(Registry::new(), |_| {}).await
    }

    pub async fn spawn_with(registry: Registry) -> TestApp {
        Self::spawn_custom(registry, |_| {}).await
    }

    /// No job handlers, and the default Shopify store ([`TestApp::shopify_store`]) registered.
    pub async fn spawn_with_shop() -> TestApp {
        let app = Self::spawn().await;
        app.shopify_store().await;
        app
    }

    /// No job handlers, the default Shopify store, and `order` delivered as a new order from
    /// it (answered `created`): the app and our order's id.
    pub async fn spawn_with_order(order: &Value) -> (TestApp, String) {
        let app = Self::spawn_with_shop().await;
        let id = app.create_order(order).await;
        (app, id)
    }

    /// With the job handlers `dropflow serve` runs (routing, …).
    pub async fn spawn_production() -> TestApp {
        Self::spawn_jobs(dropflow::app::production_jobs, |_| {}).await
    }

    /// With the job handlers `dropflow serve` runs but no supplier connector, and the default
    /// Shopify store: orders are routed, and the purchases routed fail to place (declared, so
    /// a test about routing or money is not failed by them). The app and the store's id.
    pub async fn spawn_routing_only() -> (TestApp, String) {
        let app = Self::spawn_production().await;
        app.expect_failed_jobs("supplier_order.place");
        let store = app.shopify_store().await;
        (app, store)
    }

    pub async fn spawn_custom(registry: Registry, configure: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_jobs(move |_| registry, configure).await
    }

    /// With the fulfilment job handlers over [`Services::bare`] as `services` fills it in
    /// (suppliers, store admins).
    pub async fn spawn_fulfilment(
        services: impl FnOnce(&mut Services),
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        Self::spawn_jobs(
            move |db| {
                let mut bare = Services::bare(db);
                services(&mut bare);
                let mut registry = Registry::new();
                dropflow::fulfilment::register(&mut registry, bare);
                registry
            },
            configure,
        )
        .await
    }

    /// With the job handlers `jobs` builds on the test's database.
    pub async fn spawn_jobs(
        jobs: impl FnOnce(&Database) -> Registry,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let testdb = TestDb::create().await;
        let mut config = test_config(&testdb);
        configure(&mut config);
        let db = testdb.connect().await;
        let registry = jobs(&db);
        let handled_kinds = registry.kinds();
        let token = dropflow::storage::tokens::create(&db, TOKEN_NAME)
            .await
            .expect("create a token");
        let running = dropflow::app::start_on(&config, db.clone(), registry)
            .await
            .expect("start dropflow");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        TestApp {
            base_url: running.base_url(),
            db,
            token,
            testdb,
            running: Some(running),
            client,
            handled_kinds,
            expected_jobs: Default::default(),
            jobs_checked: false,
        }
    }

    /// Declares that this test leaves `kind` jobs failed (or retrying after an error) on
    /// purpose, so the end-of-test job check lets them be.
    pub fn expect_failed_jobs(&self, kind: &str) {
        if let Ok(mut expected) = self.expected_jobs.lock() {
            expected.failed.push(kind.to_string());
        }
    }

    /// Declares that this test may end with due jobs still queued or running (parked on
    /// purpose, or stopped mid-way).
    pub fn allow_pending_jobs(&self) {
        if let Ok(mut expected) = self.expected_jobs.lock() {
            expected.pending = true;
        }
    }

    fn expected(&self) -> job_check::Expected {
        self.expected_jobs
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default()
    }

    /// Waits (up to [`job_check::DRAIN`], while the runner runs) for the handled jobs to
    /// settle, then fails the test if some are left failed or undrained beyond what it
    /// declared.
    pub async fn assert_jobs_settled(&self) {
        let expected = self.expected();
        let as_of = dropflow::storage::now_ms();
        let deadline = tokio::time::Instant::now() + job_check::DRAIN;
        loop {
            let found =
                job_check::leftovers(&self.testdb.url, &self.handled_kinds, &expected, as_of, 0)
                    .await
                    .expect("read the job queue");
            if found.is_empty() {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                job_check::fail(&found);
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Checks the job queue as the test's end ([`TestApp::assert_jobs_settled`], the runner
    /// still running), then stops the server, the runner and the ingest writer and removes
    /// the database.
    pub async fn stop(mut self) {
        self.assert_jobs_settled().await;
        self.jobs_checked = true;
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, None, |r| r).await
    }

    pub async fn api_get(&self, path: &str) -> Response {
        self.get_as(&self.token, path).await
    }

    pub async fn api_post(&self, path: &str, body: &Value) -> Response {
        self.post_as(&self.token, path, body).await
    }

    /// `PUT` with a JSON body.
    pub async fn api_put(&self, path: &str, body: &Value) -> Response {
        self.put_as(&self.token, path, body).await
    }

    /// Sends `method path` with `token` as its Bearer (none if `None`) and what `build` adds
    /// (a body, headers); the answer, whatever it is.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Response {
        let mut request = self.client.request(method.clone(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        build(request)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// `GET` as the holder of `token` (a user's, a vendor's).
    pub async fn get_as(&self, token: &str, path: &str) -> Response {
        self.call(Method::GET, path, Some(token), |r| r).await
    }

    /// `POST` with a JSON body as the holder of `token`.
    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> Response {
        self.call(Method::POST, path, Some(token), |r| r.json(body))
            .await
    }

    /// `PUT` with a JSON body as the holder of `token`.
    pub async fn put_as(&self, token: &str, path: &str, body: &Value) -> Response {
        self.call(Method::PUT, path, Some(token), |r| r.json(body))
            .await
    }

    /// `GET` as the holder of `token`, which must answer 200; the JSON body.
    pub async fn json_as(&self, token: &str, path: &str) -> Value {
        expect_json(self.get_as(token, path).await, StatusCode::OK).await
    }

    /// `GET` as the holder of `token`, which must be refused with `status` and error `code`;
    /// the error's message.
    pub async fn get_refused_as(
        &self,
        token: &str,
        path: &str,
        status: StatusCode,
        code: &str,
    ) -> String {
        expect_error(self.get_as(token, path).await, status, code).await
    }

    /// `DELETE` as the holder of `token`.
    pub async fn delete_as(&self, token: &str, path: &str) -> Response {
        self.call(Method::DELETE, path, Some(token), |r| r).await
    }

    /// `POST` with a JSON body and no token at all.
    pub async fn post_anonymous(&self, path: &str, body: &Value) -> Response {
        self.call(Method::POST, path, None, |r| r.json(body)).await
    }

    /// `POST` of the raw `body` with the harness token and `content_type` (none if `None`).
    pub async fn post_body(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: String,
    ) -> Response {
        let typed = |r: RequestBuilder| match content_type {
            Some(content_type) => r.header("Content-Type", content_type),
            None => r,
        };
        self.call(Method::POST, path, Some(&self.token), |r| {
            typed(r).body(body)
        })
        .await
    }

    /// `POST` of a multipart form as the holder of `token`.
    pub async fn post_multipart_as(&self, token: &str, path: &str, form: Multipart) -> Response {
        let (content_type, body) = form.finish();
        self.call(Method::POST, path, Some(token), |r| {
            r.header("content-type", content_type).body(body)
        })
        .await
    }

    /// Puts a store's mapping (`{"variant_id", "components"}`), 200 expected; the answer.
    pub async fn put_mapping(&self, store: &str, body: &Value) -> Value {
        let response = self
            .api_put(&format!("/api/v1/stores/{store}/mappings"), body)
            .await;
        expect_json(response, StatusCode::OK).await
    }

    /// The store's wallet in `currency` (200 expected).
    pub async fn wallet(&self, store: &str, currency: &str) -> Value {
        self.api_json(&format!(
            "/api/v1/stores/{store}/wallet?currency={currency}"
        ))
        .await
    }

    /// Gives the store Admin API access to the Shopify Admin sandbox `shop` (2xx expected).
    pub async fn connect_shopify_admin(&self, store: &str, shop: &ShopifyAdminSandbox) {
        let access = json!({ "url": shop.base_url, "key": shop.access_token() });
        let response = self
            .api_put(&format!("/api/v1/stores/{store}/admin"), &access)
            .await;
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// A list the API answers (200 expected); empty if the body is not an array.
    pub async fn api_list(&self, path: &str) -> Vec<Value> {
        self.api_json(path)
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The order's supplier orders (purchases).
    pub async fn supplier_orders(&self, order_id: &str) -> Vec<Value> {
        self.api_list(&format!("/api/v1/orders/{order_id}/supplier-orders"))
            .await
    }

    /// What a person must settle on the order (`/flags`).
    pub async fn flags(&self, order_id: &str) -> Vec<Value> {
        self.api_list(&format!("/api/v1/orders/{order_id}/flags"))
            .await
    }

    /// Waits (up to 20 s) until the order has a flag of `kind`, failing if it never does;
    /// that flag.
    pub async fn wait_flag(&self, order_id: &str, kind: &str) -> Value {
        let of_kind = |flags: Vec<Value>| flags.into_iter().find(|f| f["kind"] == kind);
        let raised = eventually(Duration::from_secs(20), || async {
            of_kind(self.flags(order_id).await).is_some()
        })
        .await;
        let flags = self.flags(order_id).await;
        assert!(raised, "no {kind} flag: {flags:?}");
        of_kind(flags).expect("the flag")
    }

    /// Runs the attention check on the order now (as the sweep and the `attention` consumer
    /// do) and asserts it leaves the order in Needs Attention; what it changed.
    pub async fn check_attention(&self, order_id: &str) -> dropflow::events::attention::Change {
        let change = dropflow::events::attention::check(
            &self.db,
            order_id.parse().expect("order id"),
            chrono::Utc::now().timestamp_millis(),
        )
        .await
        .expect("attention check");
        assert!(
            !matches!(change, dropflow::events::attention::Change::Cleared),
            "{change:?}"
        );
        change
    }

    /// [`wait_flag`](Self::wait_flag) for a flag of `kind` whose detail says `words`; that flag.
    pub async fn wait_flag_saying(&self, order_id: &str, kind: &str, words: &str) -> Value {
        let flag = self.wait_flag(order_id, kind).await;
        assert!(
            flag["detail"].as_str().unwrap_or_default().contains(words),
            "{flag}"
        );
        flag
    }

    /// `POST` with no body at all (hold releases, job retries).
    pub async fn api_post_empty(&self, path: &str) -> Response {
        self.call(Method::POST, path, Some(&self.token), |r| r)
            .await
    }

    /// GET that must answer 200; the JSON body.
    pub async fn api_json(&self, path: &str) -> Value {
        let response = self.api_get(path).await;
        expect_json(response, StatusCode::OK).await
    }

    /// Registers a store through the API (201 expected); its view.
    pub async fn register_store(&self, platform: &str, domain: &str, secret: &str) -> Value {
        let response = self
            .api_post(
                "/api/v1/stores",
                &store_registration(platform, domain, secret),
            )
            .await;
        expect_json(response, StatusCode::CREATED).await
    }

    /// Registers a Shopify store; its id.
    pub async fn register_shopify_store(&self, domain: &str, secret: &str) -> String {
        let view = self.register_store("shopify", domain, secret).await;
        view["id"].as_str().expect("store id").to_string()
    }

    /// Registers a WooCommerce store by its site URL; its id.
    pub async fn register_woo_store(&self, site: &str, secret: &str) -> String {
        let view = self.register_store("woocommerce", site, secret).await;
        view["id"].as_str().expect("store id").to_string()
    }

    /// The default Shopify store ([`SHOP`], [`SHOPIFY_SECRET`]).
    pub async fn shopify_store(&self) -> String {
        self.register_shopify_store(SHOP, SHOPIFY_SECRET).await
    }

    /// The id of the store registered for [`SHOP`].
    pub async fn shopify_store_id(&self) -> dropflow_core::ids::StoreId {
        dropflow::storage::stores::find_by_domain(
            &self.db,
            dropflow_core::intake::Platform::Shopify,
            SHOP,
        )
        .await
        .expect("find store")
        .expect("the Shopify store is registered")
        .id
    }

    /// POSTs raw bytes with exactly these headers.
    pub async fn post_raw(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Response {
        self.call(Method::POST, path, None, |r| {
            let signed = headers
                .iter()
                .fold(r, |r, (name, value)| r.header(*name, value));
            signed.body(body)
        })
        .await
    }

    /// Delivers a Shopify webhook signed with `secret`.
    pub async fn send_shopify(&self, hook: &ShopifyWebhook, secret: &str) -> Response {
        let headers = hook.headers(secret.as_bytes());
        self.post_raw("/webhooks/shopify", &headers, hook.body.clone())
            .await
    }

    /// Delivers a Shopify webhook signed with `secret`, which its store does not hold: it
    /// must be refused as 401 `unauthorized`; the refusal's message.
    pub async fn refused_shopify(&self, hook: &ShopifyWebhook, secret: &str) -> String {
        let response = self.send_shopify(hook, secret).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await
    }

    /// Delivers `order` as `topic` from the default shop; must be answered 200. The delivery
    /// and the answer.
    pub async fn shopify_order(&self, topic: &str, order: &Value) -> (ShopifyWebhook, Value) {
        let hook = shopify_hook(topic, order);
        let response = self.send_shopify(&hook, SHOPIFY_SECRET).await;
        let ack = expect_json(response, StatusCode::OK).await;
        (hook, ack)
    }

    /// Delivers `order` as `topic` from the default shop, which must be answered 200 with
    /// `status` (`created`, `updated`, `stale`, …); the answer.
    pub async fn deliver_expecting(&self, topic: &str, order: &Value, status: &str) -> Value {
        let (_, ack) = self.shopify_order(topic, order).await;
        assert_eq!(ack["status"], status, "{topic}: {ack}");
        ack
    }

    /// Sends `order` again as `topic`, updated at 11:`minute` on the order's day (Shopify
    /// moves `updated_at` with each change); 200 expected.
    pub async fn send_update(&self, order: &mut Value, topic: &str, minute: u32) {
        order["updated_at"] = json!(format!("2024-05-01T11:{minute:02}:00-05:00"));
        self.shopify_order(topic, order).await;
    }

    /// Puts a merchant hold on the order (`{"reason", "detail"}`); the answer.
    pub async fn place_hold(&self, order_id: &str, reason: &str, detail: &str) -> Response {
        let body = json!({ "reason": reason, "detail": detail });
        self.api_post(&format!("/api/v1/orders/{order_id}/holds"), &body)
            .await
    }

    /// Puts a merchant hold on the order, which must be answered 200; the order's detail.
    pub async fn held(&self, order_id: &str, reason: &str, detail: &str) -> Value {
        let response = self.place_hold(order_id, reason, detail).await;
        expect_json(response, StatusCode::OK).await
    }

    /// Releases the order's hold for `reason`; the answer.
    pub async fn release_hold(&self, order_id: &str, reason: &str) -> Response {
        self.api_post_empty(&format!("/api/v1/orders/{order_id}/holds/{reason}/release"))
            .await
    }

    /// Releases the order's hold for `reason`, which must be answered 200; the order's detail.
    pub async fn released(&self, order_id: &str, reason: &str) -> Value {
        let response = self.release_hold(order_id, reason).await;
        expect_json(response, StatusCode::OK).await
    }

    /// Delivers `order` as a new order from the default shop, which must be answered 200
    /// `created`; our order's id.
    pub async fn create_order(&self, order: &Value) -> String {
        order_id(
            &self
                .deliver_expecting("orders/create", order, "created")
                .await,
        )
    }

    /// Delivers `order` as a new order from the Shopify store at `shop` (signed with
    /// [`SHOPIFY_SECRET`], 200 expected); our order's id.
    pub async fn create_order_from(&self, shop: &str, order: &Value) -> String {
        let hook = shopify_hook_from(shop, "orders/create", order);
        let response = self.send_shopify(&hook, SHOPIFY_SECRET).await;
        order_id(&expect_json(response, StatusCode::OK).await)
    }

    /// Delivers `order` as a new order from the default shop; the answer, whatever it is.
    pub async fn send_order(&self, order: &Value) -> Response {
        self.send_shopify(&shopify_hook("orders/create", order), SHOPIFY_SECRET)
            .await
    }

    /// Delivers `order` as a new order, which must be refused as 422 `unprocessable`; the
    /// error's message.
    pub async fn refused_order(&self, order: &Value) -> String {
        let response = self.send_order(order).await;
        expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await
    }

    /// Delivers a WooCommerce webhook signed with the test secret that must be refused as
    /// unprocessable (422); the refusal's message.
    pub async fn refused_woo(&self, hook: &WooWebhook) -> String {
        let response = self.send_woo(hook, WOO_SECRET).await;
        expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await
    }

    /// Delivers a WooCommerce webhook signed with `secret`.
    pub async fn send_woo(&self, hook: &WooWebhook, secret: &str) -> Response {
        let headers = hook.headers(secret.as_bytes());
        self.post_raw("/webhooks/woocommerce", &headers, hook.body.clone())
            .await
    }

    /// `GET /api/v1/orders/{id}` (id or name), 200 expected.
    pub async fn order_detail(&self, id: &str) -> Value {
        self.api_json(&format!("/api/v1/orders/{}", encode(id)))
            .await
    }

    /// Orders per tab.
    pub async fn counts(&self) -> BTreeMap<String, i64> {
        let value = self.api_json("/api/v1/orders/counts").await;
        serde_json::from_value(value).expect("counts map")
    }

    /// Checks how many orders each named tab counts.
    pub async fn assert_counts(&self, expected: &[(&str, i64)]) {
        let counts = self.counts().await;
        for (tab, n) in expected {
            assert_eq!(counts[*tab], *n, "orders in {tab}: {counts:?}");
        }
    }

    /// `SELECT COUNT(*) …` (or any one-integer query) on the app's database.
    pub async fn scalar(&self, sql: &str) -> i64 {
        scalar(&self.db, sql).await
    }

    /// Rows in a table.
    pub async fn rows(&self, table: &str) -> i64 {
        self.scalar(&format!("SELECT COUNT(*) FROM {table}")).await
    }

    /// Checks that no order and no webhook receipt was stored.
    pub async fn assert_nothing_stored(&self) {
        self.assert_stored(0, 0).await;
    }

    /// Checks how many orders and webhook receipts are stored.
    pub async fn assert_stored(&self, orders: i64, receipts: i64) {
        assert_eq!(self.rows("orders").await, orders, "orders stored");
        assert_eq!(
            self.rows("webhook_receipts").await,
            receipts,
            "receipts stored"
        );
    }

    /// Posts `body` to `path` once for each header named in `required`, every time with all
    /// of `headers` but that one, and expects a 400 `bad_request` whose message names the
    /// header left out (in lower case, as HTTP header names go) each time.
    pub async fn assert_each_header_required(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
        required: &[&str],
    ) {
        for &missing in required {
            let rest: Vec<(&str, String)> = headers
                .iter()
                .filter(|(name, _)| *name != missing)
                .cloned()
                .collect();
            let response = self.post_raw(path, &rest, body.to_vec()).await;
            let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
            let named = missing.to_ascii_lowercase();
            assert!(message.contains(&named), "{missing}: {message}");
        }
    }

    /// Jobs of `kind` for `order_id`.
    pub async fn jobs_for(&self, order_id: &str, kind: &str) -> i64 {
        let row: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE order_id = $1 AND kind = $2")
                .bind(order_id)
                .bind(kind)
                .fetch_one(&self.db.reader)
                .await
                .expect("count jobs");
        row
    }
}

impl Drop for TestApp {
    /// The end-of-test job check for a test that did not [`TestApp::stop`] its app. On a
    /// multi-threaded runtime the runner keeps going while this waits for the queue to
    /// settle; on a current-thread runtime (blocked here) it is a snapshot in which a due job
    /// counts once it has waited past any polling delay.
    fn drop(&mut self) {
        if std::thread::panicking() || self.jobs_checked {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
                tokio::task::block_in_place(|| handle.block_on(self.assert_jobs_settled()));
                return;
            }
        }
        let found = job_check::leftovers_blocking(
            self.testdb.url.clone(),
            self.handled_kinds.clone(),
            self.expected(),
            job_check::SNAPSHOT_LATENESS_MS,
        )
        .expect("read the job queue");
        if !found.is_empty() {
            job_check::fail(&found);
        }
    }
}

/// One integer from a query.
pub async fn scalar(db: &Database, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&db.reader)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A fresh Shopify delivery of `order` as `topic` from [`SHOP`].
pub fn shopify_hook(topic: &str, order: &Value) -> ShopifyWebhook {
    ShopifyWebhook::new(topic, SHOP, dropflow_sandbox::body_bytes(order))
}

/// A fresh Shopify delivery of `order` as `topic` from the shop at `shop`.
pub fn shopify_hook_from(shop: &str, topic: &str, order: &Value) -> ShopifyWebhook {
    ShopifyWebhook::new(topic, shop, dropflow_sandbox::body_bytes(order))
}

/// The body registering a store (`POST /api/v1/stores`).
pub fn store_registration(platform: &str, domain: &str, secret: &str) -> Value {
    json!({"platform": platform, "domain": domain, "webhook_secret": secret})
}

/// A sandbox Shopify order with fixed timestamps (`updated_at` as given, shop time).
pub fn shopify_order(id: u64, name: &str, financial_status: &str, updated_at: &str) -> Value {
    let mut order = shopify::order_payload(id, name, financial_status);
    order["created_at"] = json!("2024-05-01T09:00:00-05:00");
    order["updated_at"] = json!(updated_at);
    order
}

/// A sandbox Shopify order awaiting payment, created at a fixed time.
pub fn pending_order(id: u64, name: &str) -> Value {
    shopify_order(id, name, "pending", "2024-05-01T10:00:00-05:00")
}

/// A paid sandbox Shopify order, updated at a fixed time.
pub fn paid_order(id: u64, name: &str) -> Value {
    shopify_order(id, name, "paid", "2024-05-01T10:00:00-05:00")
}

/// [`paid_order`] `id` named after it (`#id`).
pub fn numbered_paid_order(id: u64) -> Value {
    paid_order(id, &format!("#{id}"))
}

/// A copy of order line `first` as another variant (ids 1,000 on) with its own SKU and title.
pub fn second_line(first: &Value, sku: &str, title: &str) -> Value {
    let mut line = first.clone();
    line["id"] = json!(first["id"].as_u64().expect("line id") + 1_000);
    line["variant_id"] = json!(first["variant_id"].as_u64().expect("variant id") + 1_000);
    line["sku"] = json!(sku);
    line["title"] = json!(title);
    line
}

/// A fresh WooCommerce delivery of `order` as `topic` from `source`.
pub fn woo_hook(topic: &str, source: &str, order: &Value) -> WooWebhook {
    let mut hook = WooWebhook::new(topic, 12, dropflow_sandbox::body_bytes(order));
    hook.source = source.to_string();
    hook
}

/// Our order's id in a webhook's acknowledgement.
pub fn order_id(ack: &Value) -> String {
    ack["order_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no order_id in {ack}"))
        .to_string()
}

/// The JSON body, after checking the status.
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let got = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"))
}

/// Checks an error answer: the status, a JSON body `{"error": {"code", "message"}}` with this
/// code, and a JSON content type. The message.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> String {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = expect_json(response, status).await;
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type:?} for {body}"
    );
    assert_eq!(body["error"]["code"], json!(code), "error code in {body}");
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.message in {body}"))
        .to_string();
    assert!(!message.is_empty(), "empty error message in {body}");
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(1),
        "only `error` at the top: {body}"
    );
    message
}

/// Percent-encodes what a path segment or query value needs here (`#`, `@`, `+`, space).
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A test fixture's text.
pub fn fixture(relative: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", relative]
        .iter()
        .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture parsed as JSON.
pub fn fixture_json(relative: &str) -> Value {
    serde_json::from_str(&fixture(relative)).expect("fixture is JSON")
}

/// The `field` of each order on a page of the order list.
pub fn listed(page: &Value, field: &str) -> Vec<String> {
    page["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o[field].as_str().expect(field).to_string())
        .collect()
}

/// The last entry of an order's timeline.
pub fn last_event(detail: &Value) -> Value {
    detail["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .cloned()
        .unwrap_or_else(|| panic!("no timeline entry in {detail}"))
}

/// The kinds of an order's timeline entries, in order.
pub fn timeline_kinds(detail: &Value) -> Vec<String> {
    detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind").to_string())
        .collect()
}

/// Polls `check` until it is true or `timeout` passes; whether it became true.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A WooCommerce site URL as `X-WC-Webhook-Source` carries it.
pub const WOO_SITE: &str = woocommerce::SITE_URL;
