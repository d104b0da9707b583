//! Every supplier dropflow knows, in one table ([`DECLARED`]): its kind, what it offers, and how
//! its connector is built from `[suppliers.*]`. The process's connectors ([`Suppliers`]) are
//! built here from the configuration, in this one place; what a kind offers
//! ([`capabilities`]) is known whether or not it is configured (a stored purchase of a
//! supplier this process does not speak to is still, say, a warehouse purchase).

use super::{aliexpress, cj, manual, marketplace, Supplier};
use dropflow_core::supplier::{Capabilities, SupplierKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// `[suppliers.aliexpress]`, `[suppliers.cj]`, `[suppliers.marketplace]`: credentials and endpoints of the suppliers
/// this process places orders with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppliersConfig {
    pub aliexpress: Option<super::aliexpress::AliExpressConfig>,
    pub cj: Option<super::cj::CjConfig>,
    pub marketplace: Option<super::marketplace::MarketplaceConfig>,
}

/// One supplier: its kind, what it offers, its connector when configured.
struct Declared {
    kind: SupplierKind,
    capabilities: Capabilities,
    connect: fn(&SuppliersConfig) -> Option<Arc<dyn Supplier>>,
}

/// The registry: one line per supplier.
const DECLARED: &[Declared] = &[
    Declared {
        kind: SupplierKind::Aliexpress,
        capabilities: aliexpress::CAPABILITIES,
        connect: |c| connector(c.aliexpress.clone().map(aliexpress::AliExpress::new)),
    },
    Declared {
        kind: SupplierKind::Cj,
        capabilities: cj::CAPABILITIES,
        connect: |c| connector(c.cj.clone().map(cj::Cj::new)),
    },
    Declared {
        kind: SupplierKind::Manual,
        capabilities: manual::CAPABILITIES,
        connect: |_| None,
    },
    Declared {
        kind: SupplierKind::Marketplace,
        capabilities: marketplace::CAPABILITIES,
        connect: |c| connector(c.marketplace.clone().map(marketplace::Marketplace::new)),
    },
];

fn connector<S: Supplier + 'static>(supplier: Option<S>) -> Option<Arc<dyn Supplier>> {
    supplier.map(|s| Arc::new(s) as Arc<dyn Supplier>)
}

/// What `kind` offers, configured or not.
pub fn capabilities(kind: SupplierKind) -> Capabilities {
    DECLARED
        .iter()
        .find(|d| d.kind == kind)
        .map(|d| d.capabilities)
        .unwrap_or_default()
}

/// What the supplier stored as `supplier` (`supplier_orders.supplier`) offers; nothing for a
/// name dropflow does not know.
pub fn capabilities_of(supplier: &str) -> Capabilities {
    SupplierKind::parse(supplier)
        .map(capabilities)
        .unwrap_or_default()
}

/// The kinds offering what `wanted` asks (e.g. every kind a person fulfils by hand).
pub fn kinds_where(wanted: impl Fn(&Capabilities) -> bool) -> Vec<SupplierKind> {
    DECLARED
        .iter()
        .filter(|d| wanted(&d.capabilities))
        .map(|d| d.kind)
        .collect()
}

/// The supplier connectors of this process. Cheap to clone.
#[derive(Clone, Default)]
pub struct Suppliers(Arc<HashMap<SupplierKind, Arc<dyn Supplier>>>);

impl std::fmt::Debug for Suppliers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kinds: Vec<&str> = self.0.keys().map(|k| k.as_str()).collect();
        kinds.sort_unstable();
        f.debug_tuple("Suppliers").field(&kinds).finish()
    }
}

impl Suppliers {
    /// The connectors configured in `[suppliers.*]`.
    pub fn from_config(config: &SuppliersConfig) -> Suppliers {
        Suppliers(Arc::new(
            DECLARED
                .iter()
                .filter_map(|d| (d.connect)(config).map(|c| (d.kind, c)))
                .collect(),
        ))
    }

    /// The kinds this process has a connector for.
    pub fn kinds(&self) -> Vec<SupplierKind> {
        self.0.keys().copied().collect()
    }

    /// The connector for `kind`, when this process has one.
    pub fn get(&self, kind: &SupplierKind) -> Option<&Arc<dyn Supplier>> {
        self.0.get(kind)
    }

    /// The connector for the supplier stored as `supplier`, when this process has one.
    pub fn for_stored(&self, supplier: &str) -> Option<Arc<dyn Supplier>> {
        SupplierKind::parse(supplier).and_then(|k| self.get(&k).cloned())
    }

    /// The connector a job must call for the supplier stored as `supplier`; the error says
    /// what is missing (a kind this build does not know, or its `[suppliers]` settings).
    pub fn required(&self, supplier: &str) -> anyhow::Result<Arc<dyn Supplier>> {
        let kind = SupplierKind::parse(supplier)
            .ok_or_else(|| anyhow::anyhow!("unknown supplier {supplier:?}"))?;
        self.get(&kind).cloned().ok_or_else(|| {
            dropflow_core::jobs::WaitsFor {
                fix: dropflow_core::jobs::waits::supplier(kind.as_str()),
                message: format!(
                    "{} is not configured in this process: add its [suppliers] settings and \
                     the job runs again when dropflow starts",
                    kind.as_str()
                ),
            }
            .into()
        })
    }

    /// What `kind` offers (configured or not).
    pub fn capabilities(&self, kind: SupplierKind) -> Capabilities {
        capabilities(kind)
    }
}

/// Connectors chosen by hand (tests, benchmarks).
impl From<HashMap<SupplierKind, Arc<dyn Supplier>>> for Suppliers {
    fn from(connectors: HashMap<SupplierKind, Arc<dyn Supplier>>) -> Self {
        Suppliers(Arc::new(connectors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_declared_once() {
        for kind in SupplierKind::ALL {
            let lines = DECLARED.iter().filter(|d| d.kind == kind).count();
            assert_eq!(lines, 1, "{kind:?}");
        }
    }

    #[test]
    fn capabilities_answer_the_old_kind_questions() {
        assert_eq!(
            kinds_where(|c| c.hands_over_to_person),
            vec![SupplierKind::Manual]
        );
        assert_eq!(
            kinds_where(|c| c.buys_for_warehouse),
            vec![SupplierKind::Marketplace]
        );
        assert!(!capabilities(SupplierKind::Aliexpress).lookup_by_reference);
        assert_eq!(capabilities_of("nobody"), Capabilities::default());
        // Whether a kind ships to the customer is the same fact, seen from core.
        for kind in SupplierKind::ALL {
            assert_eq!(
                kind.ships_to_customer(),
                !capabilities(kind).buys_for_warehouse,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn connectors_declare_what_the_registry_lists() {
        let ali = aliexpress::AliExpress::new(aliexpress::AliExpressConfig::new(
            "http://127.0.0.1:9",
            "key",
            "secret",
            "token",
        ));
        assert_eq!(ali.capabilities(), capabilities(SupplierKind::Aliexpress));
        let cj = cj::Cj::new(cj::CjConfig::new(
            "http://127.0.0.1:9",
            cj::ApiKey::new("k"),
        ));
        assert_eq!(cj.capabilities(), capabilities(SupplierKind::Cj));
    }
}
