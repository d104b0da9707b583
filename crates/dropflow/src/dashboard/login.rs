//! Signing in and out.
//!
//! The login form carries its own CSRF token (a random value in a short-lived cookie and in
//! the form, compared on submit), so another site cannot sign a browser into an account of
//! its choosing. Every failure — unknown e-mail, wrong password, disabled user, too many
//! attempts — shows the same words, so the page never tells which addresses have accounts.
//!
//! The session cookie is `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on
//! another site's POST) and `Secure` (never over plain HTTP; browsers treat
//! `http://localhost` and `127.0.0.1` as secure, so local use works).

use super::error::{html, PageError};
use super::layout::Layout;
use super::limiter::LoginLimiter;
use super::session::{cookie, Posted, Viewer, CSRF_FIELD, SESSION_COOKIE};
use crate::services::Context;
use crate::storage::{accounts, sessions};
use askama::Template;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use base64::Engine as _;
use rand::RngCore;
use std::net::SocketAddr;

/// The login form's own CSRF cookie.
const LOGIN_COOKIE: &str = "dropflow_login";
/// The one message every failed login shows.
pub const LOGIN_FAILED: &str = "That e-mail address and password do not match an account.";
/// The form was not ours (or too old).
const FORM_EXPIRED: &str = "The login form expired. Please try again.";

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    error: Option<&'static str>,
}

/// `GET /login`: the form (or the landing page, when already signed in).
pub async fn form(State(state): State<Context>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    if let Ok(viewer) =
        <Viewer as axum::extract::FromRequestParts<Context>>::from_request_parts(&mut parts, &state)
            .await
    {
        return Redirect::to(viewer.landing()).into_response();
    }
    page(StatusCode::OK, String::new(), None)
}

fn page(status: StatusCode, email: String, error: Option<&'static str>) -> Response {
    let token = random_token();
    let rendered = LoginPage {
        layout: Layout::anonymous("Sign in", token.clone()),
        email,
        error,
    }
    .render();
    let mut response = html(status, rendered);
    set_cookie(
        &mut response,
        &format!(
            "{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Lax; Secure; Max-Age=3600"
        ),
    );
    response
}

/// `POST /login`.
pub async fn submit(
    State(state): State<Context>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let email = field("email").trim().to_string();
    let password = field("password");
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !constant_time_eq(expected, field(CSRF_FIELD)) {
        return Ok(page(StatusCode::FORBIDDEN, email, Some(FORM_EXPIRED)));
    }
    let address = connect.map(|Extension(ConnectInfo(a))| a.ip().to_string());
    let limiter = LoginLimiter::new(state.db.clone());
    let now = crate::storage::now_ms();
    // The attempt is counted before the password is checked, so parallel guesses cannot all
    // slip under the limit.
    if !limiter.reserve(&email, address.as_deref(), now).await? {
        // The same words as a wrong password: the limiter must not confirm an address.
        tracing::warn!("login refused: too many attempts");
        return Ok(page(StatusCode::UNAUTHORIZED, email, Some(LOGIN_FAILED)));
    }
    let Some(user) = accounts::verify_password(&state.db, &email, password).await? else {
        return Ok(page(StatusCode::UNAUTHORIZED, email, Some(LOGIN_FAILED)));
    };
    limiter.succeeded(&email, address.as_deref()).await?;
    let session = sessions::create(&state.db, &user.id).await?;
    tracing::info!(user.id = %user.id, "signed in to the dashboard");
    let landing = match user.role {
        accounts::Role::Owner | accounts::Role::Staff => "/orders",
        accounts::Role::Vendor => "/vendor",
        accounts::Role::Warehouse => "/warehouse",
    };
    let mut response = Redirect::to(landing).into_response();
    set_cookie(
        &mut response,
        &format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age={}",
            session.cookie,
            sessions::SESSION_TTL_MS / 1000
        ),
    );
    set_cookie(
        &mut response,
        &format!("{LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Lax; Secure; Max-Age=0"),
    );
    Ok(response)
}

/// `POST /logout`: ends the session (CSRF-checked, so another site cannot sign one out).
pub async fn logout(State(state): State<Context>, headers: HeaderMap, posted: Posted) -> Response {
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = sessions::revoke(&state.db, value).await {
            return PageError::from(e).into_response();
        }
    }
    tracing::info!(user.id = %posted.viewer.caller.user.as_ref().map(|u| u.id.as_str()).unwrap_or(""), "signed out");
    let mut response = Redirect::to("/login").into_response();
    set_cookie(
        &mut response,
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0"),
    );
    response
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
