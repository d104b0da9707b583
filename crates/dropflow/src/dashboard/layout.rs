//! What `templates/dashboard/base.html` shows around every page: the title, the navigation
//! the viewer's role has, who is signed in, the CSRF token (a meta tag htmx sends back, and
//! the logout form), and the flash message an action left.
//!
//! Flash messages travel in a short-lived cookie set on the redirect after an action and
//! cleared by the next page: the message is the server's own words, never from a URL a third
//! party could craft.

use super::session::Viewer;
use crate::storage::accounts::Role;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;

/// The flash cookie's name.
pub const FLASH_COOKIE: &str = "dropflow_flash";

/// A one-time message after an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// `ok` or `error` (the CSS class and the ARIA role differ).
    pub kind: &'static str,
    pub text: String,
}

impl Flash {
    pub fn ok(text: impl Into<String>) -> Flash {
        Flash {
            kind: "ok",
            text: text.into(),
        }
    }

    pub fn error(text: impl Into<String>) -> Flash {
        Flash {
            kind: "error",
            text: text.into(),
        }
    }

    fn encode(&self) -> String {
        let raw = format!("{}:{}", self.kind, self.text);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw.as_bytes())
    }

    /// The flash the request carries, if any.
    pub fn read(headers: &HeaderMap) -> Option<Flash> {
        let value = super::session::cookie(headers, FLASH_COOKIE)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(value)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (kind, text) = text.split_once(':')?;
        let kind = match kind {
            "ok" => "ok",
            _ => "error",
        };
        // Bounded: the cookie is ours, but a browser could send anything.
        Some(Flash {
            kind,
            text: text.chars().take(2000).collect(),
        })
    }
}

/// A 303 redirect (after a POST) carrying a flash message to the next page.
pub fn redirect_with(to: &str, flash: Flash) -> Response {
    let mut response = Redirect::to(local_path(to)).into_response();
    let cookie = format!(
        "{FLASH_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60",
        flash.encode()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `to` if it is a path on this site a `Location` header can carry; otherwise `/`. Form
/// fields such as `return_to` reach redirects: a CR/LF (a header split), a control
/// character, a backslash or `//` (another site, for browsers) never does.
pub fn local_path(to: &str) -> &str {
    let safe = to.starts_with('/')
        && !to.starts_with("//")
        && !to.contains('\\')
        && !to.chars().any(char::is_control)
        && axum::http::HeaderValue::from_str(to).is_ok();
    if safe {
        to
    } else {
        "/"
    }
}

/// A rendered page as its viewer gets it: 200 (the error page when it did not render), and
/// the flash it showed cleared.
pub fn shown(rendered: askama::Result<String>, viewer: &Viewer) -> Response {
    let mut response = super::error::html(axum::http::StatusCode::OK, rendered);
    clear_flash(&mut response, viewer);
    response
}

/// Clears the flash cookie once a page has shown it.
fn clear_flash(response: &mut Response, viewer: &Viewer) {
    if viewer.flash.is_some() {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "dropflow_flash=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0",
            ),
        );
    }
}

/// One link of the navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    /// The page being shown (`aria-current="page"`).
    pub current: bool,
}

/// What the base template needs. Every page's template struct has a `layout` field.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    /// The signed-in user's e-mail; `None` on the login page.
    pub user: Option<String>,
    pub role: Option<&'static str>,
    pub csrf_token: String,
    pub nav: Vec<NavLink>,
    pub flash: Option<Flash>,
    /// The assets' version, in their links (see [`super::assets::version`]).
    pub assets: &'static str,
}

impl Layout {
    /// The layout of a signed-in page; `section` is the nav link to mark current.
    pub fn new(viewer: &Viewer, title: impl Into<String>, section: &str) -> Layout {
        Layout {
            title: title.into(),
            user: Some(viewer.email.clone()),
            role: Some(viewer.role().as_str()),
            csrf_token: viewer.csrf_token.clone(),
            nav: nav_for(viewer.role(), section),
            flash: viewer.flash.clone(),
            assets: super::assets::version(),
        }
    }

    /// The layout of a page shown before signing in.
    pub fn anonymous(title: impl Into<String>, csrf_token: String) -> Layout {
        Layout {
            title: title.into(),
            user: None,
            role: None,
            csrf_token,
            nav: Vec::new(),
            flash: None,
            assets: super::assets::version(),
        }
    }
}

/// One link of a row of tabs (`link_tabs.html`): a store to pick, a filter or a grouping.
pub struct TabLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

/// The pages each role has. The dashboard-pages branch adds its links here.
pub fn nav_for(role: Role, section: &str) -> Vec<NavLink> {
    let links: &[(&'static str, &'static str)] = match role {
        // Owners may also work the warehouse desk (a one-person business does both).
        Role::Owner => &[
            ("/", "Overview"),
            ("/orders", "Orders"),
            ("/returns", "Returns"),
            ("/wallet", "Wallet"),
            ("/products", "Products"),
            ("/profit", "Profit"),
            ("/vendors/payouts", "Vendor payouts"),
            ("/warehouse", "Warehouse"),
            ("/audit", "Audit log"),
        ],
        Role::Staff => &[
            ("/", "Overview"),
            ("/orders", "Orders"),
            ("/returns", "Returns"),
            ("/wallet", "Wallet"),
            ("/products", "Products"),
            ("/profit", "Profit"),
        ],
        Role::Vendor => &[
            ("/vendor", "Orders to ship"),
            ("/vendor/earnings", "Earnings"),
        ],
        Role::Warehouse => &[("/warehouse", "Warehouse")],
    };
    links
        .iter()
        .map(|(href, label)| NavLink {
            href,
            label,
            current: href.trim_start_matches('/') == section,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_this_site_and_in_one_header() {
        assert_eq!(local_path("/orders?tab=all"), "/orders?tab=all");
        assert_eq!(local_path("/orders\r\nSet-Cookie: x=1"), "/");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example/"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
    }

    #[test]
    fn flash_round_trips_through_its_cookie() {
        let flash = Flash::error("Pay: nothing to do; 2 queued");
        let mut headers = HeaderMap::new();
        let cookie = format!("{FLASH_COOKIE}={}", flash.encode());
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&cookie).unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(Flash::read(&headers), Some(flash));
    }

    #[test]
    fn vendors_see_only_their_pages() {
        let nav = nav_for(Role::Vendor, "vendor");
        assert_eq!(nav.len(), 2);
        assert!(nav[0].current);
        assert!(!nav[1].current);
        assert_eq!(nav[0].href, "/vendor");
        assert_eq!(nav[1].href, "/vendor/earnings");
    }

    #[test]
    fn owners_reach_the_warehouse_desk_and_staff_do_not() {
        let hrefs = |role| {
            nav_for(role, "orders")
                .iter()
                .map(|l| l.href)
                .collect::<Vec<_>>()
        };
        assert!(hrefs(Role::Owner).contains(&"/warehouse"));
        assert!(!hrefs(Role::Staff).contains(&"/warehouse"));
        assert_eq!(hrefs(Role::Warehouse), vec!["/warehouse"]);
    }
}
