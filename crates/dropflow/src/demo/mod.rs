//! `dropflow demo`: dropflow on SQLite with every sandbox, orders sent at a chosen rate,
//! each followed through routing, placing, paying, shipping, write-back and delivery, with a
//! live progress line and a summary at the end. Without `--json` it then keeps serving the
//! API (URL and token printed) until Ctrl-C; with `--json` it prints the summary and exits.
//!
//! The same run is the 1,000-order end-to-end test (`tests/it/demo.rs`), which asserts the
//! summary: so what the demo shows is what is tested.

/// Sandboxes, dropflow, stores, wallets and mappings.
pub mod world;
/// Orders sent to the stores' webhooks; the manual vendor shipping.
pub mod traffic;
/// Every sandbox, started together (the demo and `dropflow sandbox`).
pub mod sandboxes;
/// The end-of-run report.
pub mod summary;
/// The warehouse scenario's simulated operator.
pub mod operator;
/// Edits, cancellations and refunds sent after the orders.
pub mod changes;
/// Cases opened on delivered orders and carried out; their figures for the summary.
pub mod after_sale;
/// The merchant working the open cases until each is closed or flagged.
pub mod case_work;

use std::time::{Duration, Instant};
pub use summary::Summary;

/// What to run.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub orders: usize,
    /// Orders per second.
    pub rate: f64,
    /// Inject faults (timeouts, 5xx, 429, stock-outs, refused addresses) into the sandboxes.
    pub faults: bool,
    /// Where dropflow listens (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// A database URL; default: a fresh SQLite file in a temporary folder.
    pub database: Option<String>,
    /// Starting balance of each store's wallet, in US dollars.
    pub wallet_usd: i64,
    /// Give up waiting for orders to finish after this long.
    pub deadline: Duration,
    /// Print a progress line every second (to standard error).
    pub progress: bool,
    pub scenario: Scenario,
    /// Edit, cancel and refund 5 % of the orders each, at random stages.
    pub changes: bool,
}

/// Which flow the orders take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// AliExpress, CJ and a manual vendor ship straight to the customer.
    Plain,
    /// Bought at the marketplace and shipped through dropflow's warehouse.
    Warehouse,
}

impl Scenario {
    pub fn parse(text: &str) -> anyhow::Result<Scenario> {
        match text {
            "plain" => Ok(Scenario::Plain),
            "warehouse" => Ok(Scenario::Warehouse),
            other => anyhow::bail!("--scenario: `plain` or `warehouse`, not {other:?}"),
        }
    }
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            orders: 200,
            rate: 50.0,
            faults: true,
            listen: "127.0.0.1:8080".into(),
            database: None,
            wallet_usd: 1_000_000,
            deadline: Duration::from_secs(600),
            progress: true,
            scenario: Scenario::Plain,
            changes: true,
        }
    }
}

/// Runs the demo to the end and returns the world (still running) and the summary.
pub async fn run(options: &DemoOptions) -> anyhow::Result<(world::World, Summary)> {
    let world = world::World::start(options).await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let started = Instant::now();
    let (stop_vendor, vendor_stop) = tokio::sync::watch::channel(false);
    let vendor = {
        let client = client.clone();
        let world_ref = &world;
        async move { traffic::run_vendor(world_ref, &client, vendor_stop).await }
    };
    let operator_stop = stop_vendor.subscribe();
    let operator = async {
        match options.scenario {
            Scenario::Warehouse => operator::run(&world, operator_stop).await,
            Scenario::Plain => Ok(()),
        }
    };
    let driving = async {
        let driven = drive(&world, &client, options, started).await;
        // Whatever the outcome, the vendor and the operator stop: an error must end the run
        // with its message, not leave them polling forever.
        let _ = stop_vendor.send(true);
        driven
    };
    let (driven, vendored, operated) = tokio::join!(driving, vendor, operator);
    driven?;
    vendored?;
    operated?;
    let summary = summary::summarize(&world, started.elapsed().as_secs_f64()).await?;
    Ok((world, summary))
}

/// The orders sent, waited for, the failed ones retried, then the after-sale phase.
async fn drive(
    world: &world::World,
    client: &reqwest::Client,
    options: &DemoOptions,
    started: Instant,
) -> anyhow::Result<()> {
    traffic::send_orders(world, client, options).await?;
    wait_until_done(world, options, started).await?;
    // Retry every failed order, as the dashboard offers: nothing may be bought twice.
    summary::retry_failed(world, client).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    wait_until_done(world, options, started).await?;
    if options.changes {
        after_sale::run(world, client, started + options.deadline).await?;
    }
    Ok(())
}

async fn wait_until_done(
    world: &world::World,
    options: &DemoOptions,
    started: Instant,
) -> anyhow::Result<()> {
    loop {
        let left = summary::unfinished(&world.db).await?;
        if options.progress {
            let states = summary::states(&world.db).await?;
            let line: Vec<String> = states.iter().map(|(s, n)| format!("{s} {n}")).collect();
            eprintln!(
                "[{:>5.1}s] {} · {left} still moving",
                started.elapsed().as_secs_f64(),
                line.join(" · ")
            );
        }
        if left == 0 {
            return Ok(());
        }
        if started.elapsed() > options.deadline {
            anyhow::bail!(
                "{left} orders had not finished after {:?}; the summary would be partial",
                options.deadline
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// What the demo prints once the orders are through: where the dashboard is and how to sign
/// in, then the API and its token.
pub fn closing_note(world: &world::World) -> String {
    let base = world.running.base_url();
    format!(
        "\nThe dashboard: {base}/\n  sign in as {}  password {}\n\
         The API: {base}/api/v1 (Authorization: Bearer {})\n\
         Everything keeps running; Ctrl-C to stop.\n",
        world.sign_in.email, world.sign_in.password, world.token
    )
}

/// Prints the summary for a person.
pub fn print_summary(summary: &Summary) {
    println!("\n{} orders in {:.1} s", summary.orders, summary.elapsed_s);
    for (state, n) in &summary.by_state {
        println!("  {state:<20} {n}");
    }
    if !summary.flagged_reasons.is_empty() {
        println!("stopped short, with the reason:");
        for (reason, n) in &summary.flagged_reasons {
            println!("  {n:>5}  {reason}");
        }
    }
    println!("faults met:");
    for (fault, n) in &summary.faults_met {
        println!("  {n:>5}  {fault}");
    }
    println!(
        "placed:    p50 {:.0} ms, p99 {:.0} ms (webhook → every supplier order placed)",
        summary.place_ms.p50, summary.place_ms.p99
    );
    println!(
        "fulfilled: p50 {:.1} s, p99 {:.1} s (webhook → tracking on the store; sandbox days \
         last {} s)",
        summary.fulfil_ms.p50 / 1000.0,
        summary.fulfil_ms.p99 / 1000.0,
        86_400.0 / world::TIME_SCALE
    );
    println!(
        "duplicate supplier orders: {} · ledger balanced: {} · shipped parcels missing on \
         their store: {}",
        summary.duplicate_supplier_orders, summary.ledger_balanced, summary.store_mismatches
    );
    let profit: Vec<String> = summary
        .profit_total
        .iter()
        .map(|(currency, amount)| format!("{amount} {currency}"))
        .collect();
    println!(
        "profit: {} · orders with a cost missing: {} · reconciles with the ledger and the \
         stores' totals: {}",
        profit.join(", "),
        summary.profit_incomplete,
        summary.profit_reconciles
    );
    println!(
        "changed in the store: {} orders · wrong items sent: {} · cancelled but bought \
         without a flag: {}",
        summary.changed_orders, summary.wrong_items_sent, summary.cancelled_but_bought
    );
    let by_resolution: Vec<String> = summary
        .cases_by_resolution
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    println!(
        "after-sale cases: {} ({}) · refunds that differ from the store's: {}",
        summary.cases,
        by_resolution.join(", "),
        summary.refund_mismatches
    );
    for (kind, n) in &summary.open_flags {
        println!("  {n:>5}  open flag: {kind}");
    }
}
