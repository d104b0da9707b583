//! The evidence file as one HTML document (`templates/evidence/order.html`): inline styles,
//! no scripts, no links out, so it reads the same offline and wherever it is uploaded.
//! Askama escapes every value (the template is `.html`), so a line title or a note a store
//! or a person typed is shown, never run.

use super::{CaseRow, DisputeRow, Evidence, LineRow, ParcelRow, TimelineRow};
use askama::Template;

#[derive(Template)]
#[template(path = "evidence/order.html")]
struct EvidencePage<'a> {
    e: &'a Evidence,
    lines: &'a [LineRow],
    parcels: &'a [ParcelRow],
    disputes: &'a [DisputeRow],
    cases: &'a [CaseRow],
    timeline: &'a [TimelineRow],
}

pub(super) fn html(evidence: &Evidence) -> askama::Result<String> {
    EvidencePage {
        e: evidence,
        lines: &evidence.lines,
        parcels: &evidence.parcels,
        disputes: &evidence.disputes,
        cases: &evidence.cases,
        timeline: &evidence.timeline,
    }
    .render()
}
