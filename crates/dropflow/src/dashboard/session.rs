//! Who is looking at a page, and forms that prove they came from our own pages.
//!
//! [`Viewer`] reads the session cookie, finds the live session and builds the same
//! [`Caller`] the API uses (role and scope). Without a live session an HTML page redirects to
//! `/login`; an htmx request gets 401 with `HX-Redirect`, so htmx navigates instead of pasting
//! the login page into a fragment.
//!
//! [`Posted`] is every POST body: it needs a [`Viewer`] and a CSRF token equal to the
//! session's, from the form field `csrf_token` or the `X-CSRF-Token` header (which the base
//! template makes htmx send with every request). A missing or wrong token is 403, and nothing
//! is done.

use super::error::PageError;
use crate::services::Caller;
use crate::services::Context;
use crate::storage::accounts::Role;
use crate::storage::sessions::{self, Session};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::HeaderMap;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "dropflow_session";
/// The form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
/// The header htmx sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in user of a dashboard request.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Role, scope and timeline actor, as for an API token of the same user.
    pub caller: Caller,
    /// The e-mail address shown in the header.
    pub email: String,
    /// The session's CSRF token, put in every form and in the `csrf-token` meta tag.
    pub csrf_token: String,
    /// The flash message left by the previous action (shown once).
    pub flash: Option<super::layout::Flash>,
}

impl Viewer {
    pub fn role(&self) -> Role {
        self.caller.role
    }

    /// Where this user starts: the pages their role has.
    pub fn landing(&self) -> &'static str {
        match self.caller.role {
            Role::Owner | Role::Staff => "/orders",
            Role::Vendor => "/vendor",
            Role::Warehouse => "/warehouse",
        }
    }

    /// Refuses (403 page) a user whose role is not among `roles`.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), PageError> {
        self.caller
            .require(roles, what)
            .map_err(|e| PageError::Forbidden(e.to_string()))
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the request came from htmx (fragment wanted, redirects via `HX-Redirect`).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

async fn session_of(parts: &Parts, state: &Context) -> Result<Option<Session>, PageError> {
    let Some(value) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(sessions::find(&state.db, value).await?)
}

impl FromRequestParts<Context> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &Context) -> Result<Self, PageError> {
        let Some(session) = session_of(parts, state).await? else {
            return Err(PageError::SignIn {
                htmx: is_htmx(&parts.headers),
            });
        };
        let email = session.user.email.clone();
        let caller = Caller::of_user(&state.db, session.user)
            .await
            .map_err(|e| PageError::Internal(e.to_string()))?;
        Ok(Viewer {
            caller,
            email,
            csrf_token: session.csrf_token,
            flash: super::layout::Flash::read(&parts.headers),
        })
    }
}

/// A CSRF-checked form POST: the viewer and the form's fields (repeated names kept, for
/// checkboxes).
#[derive(Debug)]
pub struct Posted {
    pub viewer: Viewer,
    pub fields: Vec<(String, String)>,
}

impl Posted {
    /// The first value of a field, trimmed; `None` when absent or blank.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-blank value of a repeated field (checked checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

/// The largest form the dashboard accepts (a bulk action of 500 order ids fits easily).
const FORM_LIMIT: usize = 256 * 1024;

impl FromRequest<Context> for Posted {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &Context) -> Result<Self, PageError> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| PageError::BadRequest("the form is too large".into()))?;
        let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
        let submitted = fields
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.as_str())
            .or_else(|| parts.headers.get(CSRF_HEADER).and_then(|h| h.to_str().ok()))
            .unwrap_or("");
        if !csrf_ok(&viewer.csrf_token, submitted) {
            return Err(PageError::Forbidden(
                "this form has expired or did not come from this site: reload the page and try again"
                    .into(),
            ));
        }
        Ok(Posted { viewer, fields })
    }
}

/// Whether a submitted token is the session's, in constant time.
pub fn csrf_ok(expected: &str, submitted: &str) -> bool {
    use subtle::ConstantTimeEq;
    !expected.is_empty()
        && expected.len() == submitted.len()
        && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            axum::http::header::COOKIE,
            "a=1; dropflow_session=abc; b=2"
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
    }

    #[test]
    fn csrf_needs_the_exact_token() {
        assert!(csrf_ok("tok", "tok"));
        assert!(!csrf_ok("tok", "tok2"));
        assert!(!csrf_ok("tok", ""));
        assert!(!csrf_ok("", ""));
    }
}
