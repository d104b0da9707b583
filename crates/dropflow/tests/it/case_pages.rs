//! The dashboard side of after-sale cases (issue 14) over plain HTTP, signed in through the
//! real login form: the order page's open-case form refuses what did not ship, naming the
//! line, and writes nothing; the customer's photos are uploaded (API and page), checked by
//! their bytes, served back through the viewer's scope and never across accounts or vendors;
//! the order's evidence file downloads from the page for its merchant only, carrying the
//! photos.

use crate::cases::{handed_over_order, open, refund_case, ship_line_a, shipped_order, World, WAIT};
use crate::dashboard_pages::Browser;
use crate::support::cj_world;
use crate::support::*;
use dropflow::storage::accounts::{self, Role};
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;
use serde_json::json;

const OWNER: &str = "owner@case-pages.example";

/// A form's fields, owned.
type Fields = Vec<(String, String)>;

/// A PNG's signature and IHDR chunk start, padded to `len` bytes: what the upload's check
/// reads (the first bytes), the PNG specification's signature
/// (<https://www.w3.org/TR/png-3/#5PNG-file-signature>).
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(len, 7);
    bytes
}

/// A WebP file's RIFF header (`RIFF`, the size of what follows, `WEBP`) and a `VP8L` chunk
/// header, padded: the WebP Container Specification's "RIFF Header"
/// (<https://developers.google.com/speed/webp/docs/riff_container>).
fn webp(len: usize) -> Vec<u8> {
    let mut bytes = b"RIFF".to_vec();
    bytes.extend_from_slice(&u32::try_from(len - 8).unwrap().to_le_bytes());
    bytes.extend_from_slice(b"WEBPVP8L");
    bytes.resize(len, 0);
    bytes
}

/// A multipart body of `photos` parts (file name, content type claimed, bytes).
fn photo_parts(files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let mut form = Multipart::new("----casephotosboundary");
    for (name, kind, bytes) in files {
        form = form.file("photos", name, kind, bytes);
    }
    form.finish()
}

async fn upload_as(
    app: &TestApp,
    token: &str,
    case: &str,
    files: &[(&str, &str, &[u8])],
) -> reqwest::Response {
    let (content_type, body) = photo_parts(files);
    app.client()
        .post(app.url(&format!("/api/v1/cases/{case}/photos")))
        .bearer_auth(token)
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A handed-over order whose line A shipped one unit, with a damaged-goods case (refund
/// after the return, so nothing is refunded while the test runs) on it; the case's id.
async fn world_with_case(number: u64) -> (dropflow_sandbox::cj::CjSandbox, TestApp, World, String) {
    // The installation's general body limit as shipped (2 MiB): photo uploads have their
    // own, so a photo above it reaches the photo cap, which is what refuses a large one.
    let cj = cj_world::cj().await;
    let app = cj_world::app_with(&cj, |c| {
        assert_eq!(c.http.body_limit_bytes, 2 * 1024 * 1024);
    })
    .await;
    let store = app.shopify_store().await;
    let world = handed_over_order(&app, &store, number).await;
    ship_line_a(&app, &world, 1, number).await;
    let body = refund_case(&world.line_a, 1, &world.unit_price, true);
    let case = expect_json(open(&app, &world.order, &body).await, StatusCode::CREATED).await;
    let id = case["id"].as_str().unwrap().to_string();
    add_owner(&app, OWNER).await;
    (cj, app, world, id)
}

/// Another account with its own owner (an API token and a signed-in page); the token.
async fn outsider(app: &TestApp, email: &str) -> (String, Browser) {
    let other = accounts::create_account(&app.db, &format!("tenant-{email}"))
        .await
        .unwrap();
    let token = user_token(app, &other, email, Role::Owner, &[]).await;
    (token, Browser::sign_in(app, email).await)
}

/// Follows a 303 after a form and answers the page it leads to.
async fn followed(browser: &mut Browser, response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()[LOCATION].to_str().unwrap().to_string();
    browser.page(to.split('#').next().unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_open_case_form_names_the_line_and_writes_nothing() {
    let (cj, app, _, world) = shipped_order(9_731_001, 1, 9_731_001).await;
    add_owner(&app, OWNER).await;
    let mut owner = Browser::sign_in(&app, OWNER).await;
    let path = format!("/orders/{}", world.order);
    let page = owner.page(&path).await;
    // Only the line that shipped is offered, up to what shipped.
    let a = format!("qty.{}", world.line_a);
    let b = format!("qty.{}", world.line_b);
    assert!(page.contains(&format!("name=\"{a}\"")), "{page}");
    assert!(page.contains("max=\"1\""), "{page}");
    assert!(!page.contains(&format!("name=\"{b}\"")), "{page}");
    assert!(page.contains(&format!("{path}/evidence")), "{page}");
    let csrf = owner.csrf().await;
    let cases = format!("{path}/cases");
    let form = |fields: &[(&str, &str)]| {
        // The form's usual fields, each unless `fields` gives its own.
        let mut all: Vec<(&str, &str)> = [
            ("csrf_token", csrf.as_str()),
            ("reason", "damaged"),
            ("resolution", "refund"),
            ("goods", world.unit_price.as_str()),
            ("note", "arrived cracked"),
        ]
        .into_iter()
        .filter(|(k, _)| !fields.iter().any(|(name, _)| name == k))
        .collect();
        all.extend_from_slice(fields);
        all.into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let refusals: Vec<(Fields, Vec<String>)> = vec![
        // More than shipped (a browser's max stops it; a crafted form does not): the line is
        // named with its title.
        (
            form(&[(&a, "5")]),
            vec![
                format!("Line {} (", world.line_a),
                "): 5 asked, but only 1 of it can be claimed (1 shipped, 0 in other cases)".into(),
            ],
        ),
        // A line that never shipped.
        (
            form(&[(&b, "1")]),
            vec![format!(
                "Line {} (Second item): 1 asked, but only 0 of it can be claimed",
                world.line_b
            )],
        ),
        (
            form(&[(&a, "two")]),
            vec![format!(
                "Line {}: the quantity must be a whole number",
                world.line_a
            )],
        ),
        (
            form(&[(&a, "1"), ("goods", "100000.00")]),
            vec!["Refund of the goods: 100000.00 is more than".into()],
        ),
        (
            form(&[("resolution", "store credit")]),
            vec!["Resolution: choose refund, reship, exchange or return first".into()],
        ),
    ];
    for (fields, named) in &refusals {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = owner.post_form(&cases, &fields).await;
        assert_eq!(
            response.headers()[LOCATION].to_str().unwrap(),
            format!("{path}#cases")
        );
        let shown = followed(&mut owner, response).await;
        for words in named {
            assert!(shown.contains("Not opened. "), "{words}: {shown}");
            assert!(shown.contains(words.as_str()), "{words}: {shown}");
        }
    }
    assert_eq!(app.rows("cases").await, 0, "a refused form writes nothing");
    assert_eq!(app.rows("case_lines").await, 0);

    // Without the page's token nothing is done either.
    let forged = owner
        .post_form(&cases, &[(a.as_str(), "1"), ("reason", "damaged")])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.rows("cases").await, 0);

    // The same form, right: the case is opened and listed on the page.
    let fields = form(&[(&a, "1"), ("with_return", "true")]);
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = owner.post_form(&cases, &fields).await;
    let shown = followed(&mut owner, response).await;
    assert!(shown.contains("Case opened: 1 unit(s), refund."), "{shown}");
    let listed = app
        .api_json(&format!("/api/v1/orders/{}/cases", world.order))
        .await;
    let id = listed[0]["id"].as_str().unwrap();
    assert!(shown.contains(&format!("id=\"case-{id}\"")), "{shown}");
    assert!(shown.contains("arrived cracked"), "{shown}");
    assert_eq!(listed[0]["lines"][0]["quantity"], json!(1));
    assert_eq!(listed[0]["terms"]["with_return"], json!(true));
    // The unit is held now: nothing is left to claim.
    assert!(shown.contains("id=\"case-open-none\""), "{shown}");
    drop(cj);
    app.allow_pending_jobs();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_photos_are_checked_by_their_bytes_and_stay_in_their_account() {
    let (_cj, app, world, id) = world_with_case(9_731_002).await;
    let photos = format!("/api/v1/cases/{id}/photos");

    // Refusals name the file and keep nothing: a GIF claiming to be a PNG, a file over the
    // cap, no file, a body that is not multipart.
    let gif = b"GIF89a\x01\x00\x01\x00".to_vec();
    let big = png(5 * 1024 * 1024 + 1);
    let refused = [
        (
            upload_as(
                &app,
                &app.token,
                &id,
                &[
                    ("ok.png", "image/png", &png(64)),
                    ("cat.png", "image/png", &gif),
                ],
            )
            .await,
            "\"cat.png\" is not a PNG, JPEG or WebP image",
        ),
        (
            upload_as(&app, &app.token, &id, &[("huge.png", "image/png", &big)]).await,
            "larger than 5 MiB",
        ),
        (
            upload_as(&app, &app.token, &id, &[]).await,
            "attach at least one image",
        ),
    ];
    for (response, named) in refused {
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(message.contains(named), "{named}: {message}");
    }
    let json_body = app.api_post(&photos, &json!({"photos": []})).await;
    expect_error(
        json_body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert_eq!(
        app.rows("case_photos").await,
        0,
        "a refused upload keeps nothing"
    );

    // A PNG and a WebP (sent as octet streams: the bytes decide).
    let first = png(2048);
    let second = webp(300);
    let added = expect_json(
        upload_as(
            &app,
            &app.token,
            &id,
            &[
                ("crack.png", "application/octet-stream", &first),
                ("box.webp", "application/octet-stream", &second),
            ],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let kinds: Vec<&str> = added
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["content_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["image/png", "image/webp"]);
    assert_eq!(added[0]["size_bytes"], json!(2048));
    let png_id = added[0]["id"].as_str().unwrap().to_string();
    // The case lists them; the order's timeline says they were added.
    let case = app.api_json(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["photos"].as_array().map(Vec::len), Some(2), "{case}");
    let timeline = app.order_detail(&world.order).await["timeline"].to_string();
    assert!(timeline.contains("photos_added"), "{timeline}");

    // Served back as what they are, through the API and the page.
    let one = app.api_get(&format!("{photos}/{png_id}")).await;
    assert_eq!(one.status(), StatusCode::OK);
    assert_eq!(one.headers()[CONTENT_TYPE], "image/png");
    assert_eq!(one.headers()["x-content-type-options"], "nosniff");
    assert_eq!(one.bytes().await.unwrap().as_ref(), first.as_slice());
    let mut owner = Browser::sign_in(&app, OWNER).await;
    let page = owner.page(&format!("/orders/{}", world.order)).await;
    let href = format!("/cases/{id}/photos/{png_id}");
    assert!(page.contains(&format!("src=\"{href}\"")), "{page}");
    let shown = owner.get(&href).await;
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(shown.bytes().await.unwrap().as_ref(), first.as_slice());

    // From the page's form (multipart with its CSRF token); without the token, nothing.
    let csrf = owner.csrf().await;
    let third = png(100);
    let file = [("photos", "more.png", "image/png", third.as_slice())];
    let forged = owner
        .post_files(&format!("/cases/{id}/photos"), &[], &file)
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let sent = owner
        .post_files(
            &format!("/cases/{id}/photos"),
            &[("csrf_token", &csrf)],
            &file,
        )
        .await;
    let shown = followed(&mut owner, sent).await;
    assert!(shown.contains("1 photo(s) added to the case."), "{shown}");
    let not_an_image = [("photos", "notes.txt", "text/plain", b"hello".as_slice())];
    let sent = owner
        .post_files(
            &format!("/cases/{id}/photos"),
            &[("csrf_token", &csrf)],
            &not_an_image,
        )
        .await;
    let shown = followed(&mut owner, sent).await;
    // (The page escapes the quotes around the file name.)
    assert!(
        shown.contains(
            "No photo added. Photos: &#34;notes.txt&#34; is not a PNG, JPEG or WebP image"
        ),
        "{shown}"
    );
    assert_eq!(app.rows("case_photos").await, 3);

    // Another account sees none of it and adds nothing: 404 as for what does not exist.
    let (token, mut theirs) = outsider(&app, "owner@case-pages-b.example").await;
    expect_error(
        app.get_as(&token, &format!("{photos}/{png_id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let response = upload_as(&app, &token, &id, &[("x.png", "image/png", &png(64))]).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(theirs.get(&href).await.status(), StatusCode::NOT_FOUND);
    let their_csrf = theirs.csrf().await;
    let tried = theirs
        .post_files(
            &format!("/cases/{id}/photos"),
            &[("csrf_token", &their_csrf)],
            &file,
        )
        .await;
    assert_eq!(tried.status(), StatusCode::NOT_FOUND);
    // A photo id of another case is not found either, nor a made-up one.
    let unknown = format!("{photos}/{}", uuid::Uuid::now_v7());
    expect_error(
        app.api_get(&unknown).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(app.rows("case_photos").await, 3);

    // A vendor not asked about the case does not see it; a vendor may never add photos.
    let other_vendor = vendor_token(&app, "b@vendor.test", "vendor-b").await;
    expect_error(
        app.get_as(&other_vendor, &format!("{photos}/{png_id}"))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let response = upload_as(
        &app,
        &world.vendor_a,
        &id,
        &[("x.png", "image/png", &png(64))],
    )
    .await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    // The vendor asked (its purchase holds the goods) sees the photos it judges the claim by.
    let asked = eventually(WAIT, || async {
        app.get_as(&world.vendor_a, &format!("{photos}/{png_id}"))
            .await
            .status()
            == StatusCode::OK
    })
    .await;
    assert!(asked, "the vendor asked sees the case's photos");
    app.allow_pending_jobs();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_evidence_file_downloads_from_the_order_page_for_its_merchant_only() {
    let (_cj, app, world, id) = world_with_case(9_731_003).await;
    let photo = png(4096);
    let added = upload_as(&app, &app.token, &id, &[("crack.png", "image/png", &photo)]).await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let mut owner = Browser::sign_in(&app, OWNER).await;
    let path = format!("/orders/{}/evidence", world.order);
    let page = owner.page(&format!("/orders/{}", world.order)).await;
    assert!(
        page.contains(&format!("href=\"{path}\" download")),
        "{page}"
    );

    let file = owner.get(&path).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(
        file.headers()[CONTENT_DISPOSITION],
        format!("attachment; filename=\"evidence-{}.html\"", world.number)
    );
    assert_eq!(file.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(file.headers()["cache-control"], "no-store");
    let html = file.text().await.unwrap();
    assert!(
        html.contains(&format!("Order #{}: evidence", world.number)),
        "{html}"
    );
    assert!(html.contains(&format!("Case {id}")), "{html}");
    // The customer's photo is in the file itself (it is read offline, uploaded elsewhere).
    use base64::Engine as _;
    let inline = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&photo)
    );
    assert!(html.contains(&inline), "the photo is carried in the file");
    // The same file the API answers.
    let api = app
        .api_get(&format!("/api/v1/orders/{}/evidence", world.order))
        .await;
    assert_eq!(api.status(), StatusCode::OK);

    // Another account's owner: the 404 page; the vendor: not allowed (it holds the address).
    let (_, mut theirs) = outsider(&app, "owner@case-pages-c.example").await;
    let refused = theirs.get(&path).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let body = refused.text().await.unwrap();
    assert!(!body.contains(&world.number.to_string()), "{body}");
    add_vendor(&app, "vendor-page@vendor.test", "vendor-a").await;
    let mut vendor = Browser::sign_in(&app, "vendor-page@vendor.test").await;
    assert_eq!(vendor.get(&path).await.status(), StatusCode::FORBIDDEN);
    app.allow_pending_jobs();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_answers_only_the_cases_about_its_purchases() {
    let (_cj, app, world, id) = world_with_case(9_731_004).await;
    let asked = eventually(WAIT, || async {
        app.api_json(&format!("/api/v1/cases/{id}")).await["supplier"]["state"] == json!("asked")
    })
    .await;
    assert!(asked, "vendor A is asked");
    add_vendor(&app, "a-page@vendor.test", "vendor-a").await;
    add_vendor(&app, "b-page@vendor.test", "vendor-b").await;
    let events = format!("/cases/{id}/events");

    // Vendor B: the case does not exist for it, on its page or as a form.
    let mut b = Browser::sign_in(&app, "b-page@vendor.test").await;
    let page = b.page("/vendor").await;
    assert!(
        page.contains("no-cases-to-answer") && !page.contains(&id),
        "{page}"
    );
    let csrf = b.csrf_of("/vendor").await;
    let tried = b
        .post_form(
            &events,
            &[
                ("csrf_token", &csrf),
                ("event", "supplier_refused"),
                ("note", "no"),
            ],
        )
        .await;
    assert_eq!(tried.status(), StatusCode::NOT_FOUND);

    // Vendor A: listed with its forms; a merchant's step is not its to take; a refusal
    // without a note is named; then it accepts with an amount and its reference.
    let mut a = Browser::sign_in(&app, "a-page@vendor.test").await;
    let page = a.page("/vendor").await;
    assert!(page.contains(&format!("id=\"case-{id}\"")), "{page}");
    assert!(page.contains(&format!("id=\"refuse-note-{id}\"")), "{page}");
    assert!(!page.contains(&format!("id=\"close-note-{id}\"")), "{page}");
    let csrf = a.csrf_of("/vendor").await;
    let close = a
        .post_form(
            &events,
            &[("csrf_token", &csrf), ("event", "close"), ("note", "done")],
        )
        .await;
    assert_eq!(close.status(), StatusCode::FORBIDDEN);
    let response = a
        .post_form(
            &events,
            &[
                ("csrf_token", &csrf),
                ("event", "supplier_refused"),
                ("note", " "),
            ],
        )
        .await;
    let shown = followed(&mut a, response).await;
    assert!(
        shown.contains("Not recorded. Note: say why it refused."),
        "{shown}"
    );
    let case = app.api_json(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(
        case["supplier"]["state"],
        json!("asked"),
        "nothing written: {case}"
    );
    let response = a
        .post_form(
            &events,
            &[
                ("csrf_token", &csrf),
                ("event", "supplier_credited"),
                ("amount", "3.00"),
                ("reference", "VA-REF-7"),
            ],
        )
        .await;
    let shown = followed(&mut a, response).await;
    assert!(shown.contains("refund is recorded on the case."), "{shown}");
    let case = app.api_json(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["supplier"]["state"], json!("credited"), "{case}");
    assert_eq!(case["money"]["recovered"], json!("3.00"), "{case}");
    // Answered: listed apart, without forms.
    assert!(shown.contains("vendor-cases-answered"), "{shown}");
    assert!(
        !shown.contains(&format!("id=\"refuse-note-{id}\"")),
        "{shown}"
    );
    let _ = world;
    app.allow_pending_jobs();
}
