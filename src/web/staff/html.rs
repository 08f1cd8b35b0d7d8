//! The sanitiser of mail HTML shown on the case page.

/// Sanitise a mail's HTML: no scripts, no event handlers, no `javascript:` links, no remote
/// images unless asked; links open apart and are marked as external.
pub fn sanitize_mail_html(html: &str, images: bool) -> String {
    let mut b = ammonia::Builder::default();
    b.url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank")
        .set_tag_attribute_value("a", "class", "externo");
    if !images {
        b.rm_tags(["img"]);
    }
    b.clean(html).to_string()
}
