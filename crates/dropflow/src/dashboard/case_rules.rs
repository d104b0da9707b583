//! Which forms a case shows: one pure function of where the case stands (its customer,
//! return and supplier sides, as `services::cases::CaseView` names them) and the viewer's
//! role. It follows what `dropflow_core::after_sale::apply` accepts, so a page offers only
//! steps that can work; the action checks again when the form is sent (a case can move
//! between showing and clicking, and a refusal is shown, nothing written).

use crate::storage::accounts::Role;

/// Where a case stands, in the words of the case view's `state` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts<'a> {
    pub closed: bool,
    /// `refund`, `reship`, `exchange` or `return_first`.
    pub resolution: &'a str,
    /// `pending`, `refunded`, `replacement_ordered`, `replacement_shipped`, `declined`.
    pub customer: &'a str,
    /// `not_needed`, `awaited`, `in_transit`, `delivered`, `restocked`, `disposed`.
    pub goods_back: &'a str,
    /// `not_needed`, `not_asked`, `asked`, `credited`, `refused`, `expired`.
    pub supplier: &'a str,
}

/// The forms a case shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseForms {
    /// The return's tracking number.
    pub return_shipped: bool,
    /// The returned goods arrived.
    pub return_delivered: bool,
    /// Restocked or disposed of.
    pub return_settled: bool,
    /// A return-first case whose goods are back: refund, reship or exchange.
    pub decide: bool,
    /// Refuse the customer's claim, with a note.
    pub decline: bool,
    /// Close the case (a note needed while work is left).
    pub close: bool,
    /// The supplier refunded its part (amount, reference).
    pub supplier_credited: bool,
    /// The supplier refused, with a note.
    pub supplier_refused: bool,
    /// Add the customer's photos.
    pub photos: bool,
}

impl CaseForms {
    /// Whether any form shows.
    pub fn any(&self) -> bool {
        *self != CaseForms::default()
    }
}

/// The forms the case allows this role. Merchants (owner, staff) work the whole case; a
/// vendor only answers for its supplier side; anyone else gets none.
pub fn allowed(case: &CaseFacts<'_>, role: Role) -> CaseForms {
    if case.closed {
        return CaseForms::default();
    }
    let returning = matches!(case.goods_back, "awaited" | "in_transit");
    let back = matches!(case.goods_back, "delivered" | "restocked" | "disposed");
    let pending = case.customer == "pending";
    // A supplier asked can answer either way (one not asked yet is about to be: its job
    // runs as the case opens); a refusal or a window that closed can still be followed by
    // its refund.
    let answer_awaited = case.supplier == "asked";
    let credit_possible = answer_awaited || matches!(case.supplier, "refused" | "expired");
    match role {
        Role::Owner | Role::Staff => CaseForms {
            return_shipped: returning,
            return_delivered: returning,
            return_settled: case.goods_back == "delivered",
            decide: case.resolution == "return_first" && back && pending,
            decline: pending,
            close: true,
            supplier_credited: credit_possible,
            supplier_refused: answer_awaited,
            photos: true,
        },
        Role::Vendor => CaseForms {
            supplier_credited: answer_awaited,
            supplier_refused: answer_awaited,
            ..CaseForms::default()
        },
        Role::Warehouse => CaseForms::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case<'a>(resolution: &'a str, goods_back: &'a str, supplier: &'a str) -> CaseFacts<'a> {
        CaseFacts {
            closed: false,
            resolution,
            customer: "pending",
            goods_back,
            supplier,
        }
    }

    #[test]
    fn a_return_is_recorded_step_by_step() {
        let owner = |goods_back| allowed(&case("refund", goods_back, "not_needed"), Role::Owner);
        let awaited = owner("awaited");
        assert!(awaited.return_shipped && awaited.return_delivered && !awaited.return_settled);
        let arrived = owner("delivered");
        assert!(!arrived.return_shipped && !arrived.return_delivered && arrived.return_settled);
        let done = owner("restocked");
        assert!(!done.return_shipped && !done.return_settled);
        // A refund with nothing coming back has no return forms at all.
        let none = owner("not_needed");
        assert!(!none.return_shipped && !none.return_delivered && !none.return_settled);
        assert!(none.decline && none.close && none.photos);
    }

    #[test]
    fn only_a_return_first_case_whose_goods_are_back_is_decided() {
        let staff = |resolution, goods_back| {
            allowed(&case(resolution, goods_back, "not_needed"), Role::Staff).decide
        };
        assert!(!staff("return_first", "awaited"));
        assert!(staff("return_first", "delivered"));
        assert!(staff("return_first", "disposed"));
        assert!(!staff("refund", "delivered"));
        let mut decided = case("return_first", "delivered", "not_needed");
        decided.customer = "declined";
        assert!(!allowed(&decided, Role::Owner).decide);
        assert!(!allowed(&decided, Role::Owner).decline);
    }

    #[test]
    fn the_supplier_side_is_answered_while_it_is_open_and_credited_even_late() {
        let owner = |supplier| allowed(&case("reship", "not_needed", supplier), Role::Owner);
        assert!(owner("asked").supplier_credited && owner("asked").supplier_refused);
        for late in ["refused", "expired"] {
            assert!(owner(late).supplier_credited && !owner(late).supplier_refused);
        }
        for settled in ["credited", "not_needed", "not_asked"] {
            assert!(!owner(settled).supplier_credited && !owner(settled).supplier_refused);
        }
    }

    #[test]
    fn a_vendor_only_answers_for_its_supplier_side_and_a_closed_case_takes_nothing() {
        let asked = case("refund", "awaited", "asked");
        let vendor = allowed(&asked, Role::Vendor);
        assert_eq!(
            vendor,
            CaseForms {
                supplier_credited: true,
                supplier_refused: true,
                ..CaseForms::default()
            }
        );
        assert!(!allowed(&case("refund", "awaited", "refused"), Role::Vendor).any());
        assert!(!allowed(&asked, Role::Warehouse).any());
        let closed = CaseFacts {
            closed: true,
            ..asked
        };
        assert!(!allowed(&closed, Role::Owner).any());
        assert!(!allowed(&closed, Role::Vendor).any());
    }
}
