//! The warehouse leg wired into the order flow. A marketplace purchase is placed and paid
//! like any other; from then on the seller's parcel goes to the warehouse (inbound, never
//! written back to the store), the operator receives, inspects and packs, the merchant pays
//! the shipping fee, and the parcel leaves with an international tracking number that is
//! written back and followed like any other parcel.
//!
//! Every step is one transaction: the leg (core `warehouse::stage::transition` decides), the
//! warehouse rows, and the order's timeline events and stage (`Command::Warehouse`).
//!
//! An order may leave in several packages (the rest follows what was shipped first), and one
//! package may carry several orders of one store to one customer: package actions (choose,
//! pay, dispatch) move the leg of every order the package carries, as a [`Group`].
//!
//! The same floor takes back a case's goods bought through it ([`case_returns`]): the
//! customer's parcel is received by the same scan and inspected with the same checklist.

/// What the sellers' shipments to the warehouse change (called by `sync`).
pub mod inbound;
/// The operator: receive a scan, inspect an item, pack, dispatch.
pub mod floor;
/// The merchant: decisions on failed items, ship what is here, carrier, fee.
pub mod merchant;
/// Inspection photos on disk, checked by their magic bytes.
pub mod photos;
/// The 24 h dispatch timer.
pub mod late;
/// Orders of one store to one customer that may share a parcel.
pub mod combine;
/// What a choice on a failed item does: refund by the rules, or buy the line again.
pub mod decisions;
/// The store cancelled the order: refunds by the stage reached, and the leg stops.
pub mod cancelled;
/// Asking the seller, through the marketplace's API, to take a returned item back.
pub mod seller_return;
/// A customer's return parcel of an after-sale case: received by scan, inspected, settled.
pub mod case_returns;

use super::order_tx;
use crate::storage::warehouse as store;
use crate::storage::{Database, Tx};
use dropflow_core::event::{Actor, OrderEvent};
use dropflow_core::ids::{OrderId, StoreId};
use dropflow_core::lifecycle::Command;
use dropflow_core::warehouse::consolidation::{readiness, DomesticTracking, Item, Readiness};
use dropflow_core::warehouse::rates::RateTables;
use dropflow_core::warehouse::refunds::RefundRules;
use dropflow_core::warehouse::stage::{self, StageError, WarehouseCommand, WarehouseLeg};

/// Why a warehouse action did not happen; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("{0}")]
    NotFound(String),
    /// Not now (wrong stage, fee unpaid, items missing).
    #[error("{0}")]
    Conflict(String),
    /// The input itself is wrong.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::storage::StorageError> for WarehouseError {
    fn from(e: crate::storage::StorageError) -> Self {
        WarehouseError::Internal(e.into())
    }
}

impl From<sqlx::Error> for WarehouseError {
    fn from(e: sqlx::Error) -> Self {
        WarehouseError::Internal(e.into())
    }
}

impl From<StageError> for WarehouseError {
    fn from(e: StageError) -> Self {
        match e {
            StageError::NotNow { .. } => WarehouseError::Conflict(e.to_string()),
            StageError::Invalid(_) => WarehouseError::Invalid(e.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, WarehouseError>;

/// The order's leg inside a transaction, locked with the order.
pub(crate) struct Leg {
    pub order_id: OrderId,
    pub store_id: StoreId,
    pub leg: WarehouseLeg,
    pub ship_what_is_here: bool,
}

impl Leg {
    /// Locks the order and reads its leg; `None` when the order has no warehouse leg.
    pub async fn load(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Option<Leg>> {
        crate::storage::orders::lock(tx, order_id).await?;
        let Some((leg, ship_what_is_here)) = store::leg(tx, order_id).await? else {
            return Ok(None);
        };
        let store_id = store_of(tx, order_id).await?;
        Ok(Some(Leg {
            order_id,
            store_id,
            leg,
            ship_what_is_here,
        }))
    }

    /// Moves the leg, writes it, and records the stage and `notes` on the order's timeline.
    pub async fn step(
        &mut self,
        tx: &mut Tx<'_>,
        command: WarehouseCommand,
        notes: Vec<OrderEvent>,
        actor: &Actor,
    ) -> Result<()> {
        let (next, events) = stage::transition(&self.leg, command)?;
        self.leg = next;
        let mut all = notes;
        all.extend(
            events
                .into_iter()
                .map(|event| OrderEvent::Warehouse { event }),
        );
        self.save(tx, all, actor).await
    }

    /// Writes the leg as it is and records `events`.
    pub async fn save(
        &self,
        tx: &mut Tx<'_>,
        events: Vec<OrderEvent>,
        actor: &Actor,
    ) -> Result<()> {
        store::save_leg(
            tx,
            self.order_id,
            self.store_id,
            &self.leg,
            self.ship_what_is_here,
        )
        .await?;
        order_tx::apply(
            tx,
            self.order_id,
            Command::Warehouse {
                stage: self.leg.stage,
                events,
            },
            actor.clone(),
        )
        .await?;
        Ok(())
    }
}

/// A package and the legs of every order it carries, locked in order-id order (so actions on
/// packages sharing orders cannot deadlock), the package re-read under those locks.
pub(crate) struct Group {
    pub package: store::Package,
    pub legs: Vec<Leg>,
}

impl Group {
    pub async fn load(tx: &mut Tx<'_>, package_id: &str) -> Result<Option<Group>> {
        let Some(package) = store::package(tx, package_id).await? else {
            return Ok(None);
        };
        let mut ids = package
            .order_ids
            .iter()
            .map(|id| parse_stored::<OrderId>(id))
            .collect::<Result<Vec<_>>>()?;
        ids.sort();
        ids.dedup();
        let mut legs = Vec::with_capacity(ids.len());
        for id in ids {
            let leg = Leg::load(tx, id).await?.ok_or_else(|| {
                WarehouseError::Internal(anyhow::anyhow!(
                    "package {package_id} carries order {id}, which has no leg"
                ))
            })?;
            legs.push(leg);
        }
        let package = store::package(tx, package_id)
            .await?
            .ok_or_else(|| WarehouseError::Internal(anyhow::anyhow!("package vanished")))?;
        Ok(Some(Group { package, legs }))
    }

    /// The package being prepared for `order_id` (checked against `asked`, the package the
    /// caller named, when it named one), with its orders' legs.
    pub async fn open_for(
        tx: &mut Tx<'_>,
        order_id: OrderId,
        asked: Option<&str>,
    ) -> Result<Group> {
        let open = store::open_package(tx, order_id).await?;
        if let Some(asked) = asked {
            if open.as_ref().map(|p| p.id.as_str()) != Some(asked) {
                let ours = store::package(tx, asked)
                    .await?
                    .is_some_and(|p| p.order_ids.contains(&order_id.to_string()));
                return Err(if ours {
                    WarehouseError::Conflict(format!("package {asked} has already left"))
                } else {
                    WarehouseError::NotFound(format!(
                        "package {asked} is not a package of this order"
                    ))
                });
            }
        }
        let open =
            open.ok_or_else(|| WarehouseError::Conflict("the order is not packed yet".into()))?;
        let group = Group::load(tx, &open.id)
            .await?
            .ok_or_else(|| WarehouseError::Internal(anyhow::anyhow!("package vanished")))?;
        // Read before the locks: make sure it is still the order's package to prepare.
        if group.package.dispatched_at.is_some() {
            return Err(WarehouseError::Conflict(format!(
                "package {} has already left",
                group.package.id
            )));
        }
        Ok(group)
    }
}

/// An id read back from the database.
pub(crate) fn parse_stored<T: std::str::FromStr>(text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| WarehouseError::Internal(anyhow::anyhow!("stored id {text:?} is not an id")))
}

async fn store_of(tx: &mut Tx<'_>, order_id: OrderId) -> Result<StoreId> {
    let input = crate::storage::orders::routing_input(tx, order_id)
        .await?
        .ok_or_else(|| WarehouseError::NotFound(format!("order {order_id} not found")))?;
    Ok(input.store_id)
}

/// A timeline note.
pub(crate) fn note(topic: &str, detail: impl Into<String>) -> OrderEvent {
    OrderEvent::WarehouseNote {
        topic: topic.to_string(),
        detail: detail.into(),
    }
}

/// The order's items as core sees them, with their domestic tracking.
pub(crate) async fn core_items(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Vec<Item>> {
    let rows = store::items(tx, order_id).await?;
    let inbound = inbound_in(tx, order_id).await?;
    Ok(to_core(rows, &inbound))
}

/// Items not packed yet, each with the domestic parcel of its supplier order.
pub(crate) fn to_core(rows: Vec<store::ItemRow>, inbound: &[store::Inbound]) -> Vec<Item> {
    rows.into_iter()
        .filter(|r| r.package_id.is_none())
        .map(|r| {
            let parcel = inbound
                .iter()
                .find(|i| i.supplier_order_id == r.supplier_order_id);
            Item {
                line_id: r.id.clone(),
                title: r.title.clone(),
                quantity: u32::try_from(r.quantity).unwrap_or(0),
                state: r.state,
                tracking: parcel.map(|p| DomesticTracking {
                    carrier: p.carrier.clone().unwrap_or_default(),
                    number: p.tracking_number.clone(),
                }),
                expected_arrival: parcel.and_then(|p| p.expected_arrival),
            }
        })
        .collect()
}

async fn inbound_in(tx: &mut Tx<'_>, order_id: OrderId) -> Result<Vec<store::Inbound>> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT supplier_order_id, carrier, tracking_number, expected_arrival
         FROM warehouse_inbound WHERE order_id = $1 ORDER BY created_at",
    )
    .bind(order_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(store::Inbound {
                id: String::new(),
                order_id: order_id.to_string(),
                supplier_order_id: r.try_get("supplier_order_id")?,
                supplier_ref: None,
                carrier: r.try_get("carrier")?,
                tracking_number: r.try_get("tracking_number")?,
                expected_arrival: r
                    .try_get::<Option<i64>, _>("expected_arrival")?
                    .map(crate::storage::codec::from_ms),
                received_at: None,
            })
        })
        .collect()
}

/// Whether what is to ship is here and cleared: everything, or (the merchant asked) what is.
pub(crate) fn cleared(r: &Readiness, ship_what_is_here: bool) -> bool {
    r.blocked.is_empty() && !r.shippable.is_empty() && (r.missing.is_empty() || ship_what_is_here)
}

/// After an inspection or a merchant's choice: finish inspection when all is cleared, go
/// back to waiting when a reorder is on its way.
pub(crate) async fn settle(tx: &mut Tx<'_>, leg: &mut Leg, actor: &Actor) -> Result<()> {
    use dropflow_core::warehouse::stage::WarehouseStage as S;
    let items = core_items(tx, leg.order_id).await?;
    let r = readiness(&items);
    if matches!(leg.leg.stage, S::Arrived | S::Inspected)
        && !r.missing.is_empty()
        && !leg.ship_what_is_here
    {
        leg.step(tx, WarehouseCommand::Reordered, Vec::new(), actor)
            .await?;
        return Ok(());
    }
    if leg.leg.stage == S::Arrived && cleared(&r, leg.ship_what_is_here) {
        let note = note(
            "inspected",
            format!("{} item(s) cleared; ready to pack", r.shippable.len()),
        );
        leg.step(tx, WarehouseCommand::InspectionCleared, vec![note], actor)
            .await?;
    }
    Ok(())
}

/// The rate tables in force: the operator's, or the embedded sample.
pub async fn rate_tables(db: &Database) -> Result<RateTables> {
    let tables = match store::rate_tables(db).await? {
        Some(text) => RateTables::from_toml(&text),
        None => RateTables::defaults(),
    };
    tables.map_err(|e| WarehouseError::Internal(anyhow::anyhow!("stored rate tables: {e}")))
}

/// The refund rules in force: the operator's, or the embedded sample.
pub async fn refund_rules(db: &Database) -> Result<RefundRules> {
    let rules = match store::refund_rules(db).await? {
        Some(text) => RefundRules::from_toml(&text),
        None => RefundRules::defaults(),
    };
    rules.map_err(|e| WarehouseError::Internal(anyhow::anyhow!("stored refund rules: {e}")))
}

/// The international parcel `number` of the order was delivered: that package is marked
/// delivered, and the leg ends once every package sent is and nothing is left to send
/// (nothing to do for an order without a leg, or for another parcel).
pub async fn parcel_delivered(
    tx: &mut Tx<'_>,
    order_id: OrderId,
    number: &str,
) -> anyhow::Result<()> {
    use dropflow_core::warehouse::stage::WarehouseStage as S;
    let Some(mut leg) = Leg::load(tx, order_id).await.map_err(anyhow::Error::from)? else {
        return Ok(());
    };
    let on_its_way = leg
        .leg
        .sent
        .iter()
        .any(|p| p.tracking == number && !p.delivered);
    // A leg dispatched before packages were listed: its one parcel.
    let listed_before = leg.leg.sent.is_empty()
        && leg.leg.stage == S::Dispatched
        && leg.leg.international_tracking.as_deref() == Some(number);
    if on_its_way || listed_before {
        let actor = Actor::System("tracker".into());
        leg.step(
            tx,
            WarehouseCommand::Delivered {
                tracking: number.to_string(),
            },
            Vec::new(),
            &actor,
        )
        .await
        .map_err(anyhow::Error::from)?;
    }
    Ok(())
}
