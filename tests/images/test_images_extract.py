"""Image extraction from HTML snippets: every source kind, URL resolution, context, and what is dropped."""

from __future__ import annotations

import pytest

from adlens.images.extract import (
    declared_size,
    extract_page,
    is_placeholder_src,
    largest_candidate,
    parse_srcset,
)

PAGE = "https://shop.example/catalog/page.html"


def images(html: str, url: str = PAGE) -> dict[str, object]:
    return {i.url: i for i in extract_page(html, url).images}


def one(html: str, url: str = PAGE):
    found = extract_page(html, url).images
    assert len(found) == 1, [i.url for i in found]
    return found[0]


def test_plain_img_relative_url_and_attributes() -> None:
    img = one(
        '<img src="../img/watch.png" alt="  Apple   Watch " title="Series 9" class="hero  product" width="640" height="480">'
    )
    assert img.url == "https://shop.example/img/watch.png"
    assert img.source == "img"
    assert img.alt == "Apple Watch"
    assert img.title == "Series 9"
    assert img.classes == ["hero", "product"]
    assert (img.declared_width, img.declared_height) == (640, 480)


def test_root_relative_protocol_relative_and_fragment() -> None:
    found = images('<img src="/a.jpg#frag"><img src="//cdn.example/b.jpg"><img src="c.jpg?x=1&amp;y=2">')
    assert set(found) == {
        "https://shop.example/a.jpg",
        "https://cdn.example/b.jpg",
        "https://shop.example/catalog/c.jpg?x=1&y=2",
    }


def test_base_href_changes_resolution() -> None:
    html = '<head><base href="https://static.example/assets/"></head><img src="pic.webp"><a href="next.html">n</a>'
    page = extract_page(html, PAGE)
    assert [i.url for i in page.images] == ["https://static.example/assets/pic.webp"]
    assert page.base_url == "https://static.example/assets/"
    assert page.links == ["https://static.example/assets/next.html"]


def test_relative_base_href() -> None:
    img = one('<base href="/media/"><img src="x.png">')
    assert img.url == "https://shop.example/media/x.png"


@pytest.mark.parametrize(
    ("srcset", "expected"),
    [
        ("a.jpg 320w, b.jpg 1280w, c.jpg 640w", "b.jpg"),
        ("a.jpg 1x, b.jpg 2x", "b.jpg"),
        ("a.jpg, b.jpg 3x", "b.jpg"),
        ("only.jpg", "only.jpg"),
        ("a.jpg 640w,b.jpg 1024w", "b.jpg"),
        ("img/a,b.jpg 100w, img/c.jpg 50w", "img/a,b.jpg"),
    ],
)
def test_srcset_largest_candidate(srcset: str, expected: str) -> None:
    assert largest_candidate(parse_srcset(srcset)) == expected


def test_parse_srcset_descriptors() -> None:
    assert parse_srcset("a.jpg 320w, b.jpg 2x, c.jpg") == [
        ("a.jpg", 320.0, "w"),
        ("b.jpg", 2.0, "x"),
        ("c.jpg", 1.0, ""),
    ]
    assert parse_srcset("  ") == []


def test_img_srcset_prefers_largest() -> None:
    img = one('<img src="small.jpg" srcset="small.jpg 300w, large.jpg 1200w" alt="x">')
    assert img.url.endswith("/catalog/large.jpg")
    assert img.source == "srcset"


def test_srcset_without_src() -> None:
    img = one('<img srcset="one.png 1x, two.png 2x">')
    assert img.url.endswith("/two.png")


def test_picture_sources_and_fallback() -> None:
    html = """<picture>
      <source type="image/avif" srcset="p-800.avif 800w, p-1600.avif 1600w">
      <source type="image/webp" srcset="p-1600.webp 1600w">
      <img src="p.jpg" alt="Product">
    </picture>"""
    img = one(html)
    assert img.url.endswith("/p-1600.avif")  # largest; ties keep document order
    assert img.source == "picture"
    assert img.alt == "Product"


def test_picture_with_only_img() -> None:
    img = one('<picture><img src="fallback.png" alt="f"></picture>')
    assert img.url.endswith("/fallback.png")


@pytest.mark.parametrize("attr", ["data-src", "data-lazy-src", "data-original"])
def test_lazy_attributes_replace_placeholder(attr: str) -> None:
    gif = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
    img = one(f'<img src="{gif}" {attr}="/real/photo.jpg" alt="lazy">')
    assert img.url == "https://shop.example/real/photo.jpg"
    assert img.source == "lazy"


def test_lazy_srcset_and_spacer_placeholder() -> None:
    img = one('<img src="/img/spacer.gif" data-srcset="a.jpg 400w, b.jpg 800w">')
    assert img.url.endswith("/catalog/b.jpg")
    assert img.source == "lazy"


def test_loading_lazy_keeps_real_src() -> None:
    img = one('<img loading="lazy" src="real.png" alt="r">')
    assert img.url.endswith("/real.png")
    assert img.source == "img"


def test_placeholder_only_is_dropped() -> None:
    page = extract_page('<img src="data:image/png;base64,AAAA"><img src=""><img>', PAGE)
    assert page.images == []
    assert page.dropped == 3


@pytest.mark.parametrize(
    "tag",
    [
        '<img src="/t.gif" width="1" height="1">',
        '<img src="/t.gif" width="1">',
        '<img src="/t.gif" height="0">',
        '<img src="/t.gif" style="width:1px; height:1px">',
        '<img src="/t.gif" width="2px" height="2px">',
        '<img src="https://www.facebook.com/tr?id=1&ev=PageView">',
        '<img src="https://www.google-analytics.com/collect?v=1">',
    ],
)
def test_tracking_pixels_dropped(tag: str) -> None:
    page = extract_page(tag, PAGE)
    assert page.images == []
    assert page.dropped == 1


def test_thin_but_long_image_is_kept() -> None:
    assert one('<img src="/divider.png" width="1" height="400">').declared_height == 400


def test_video_poster() -> None:
    img = one('<h2>Trailer</h2><video poster="/v/poster.jpg" controls><source src="/v/t.mp4"></video>')
    assert img.url == "https://shop.example/v/poster.jpg"
    assert img.source == "poster"
    assert img.heading == "Trailer"


def test_og_and_twitter_images() -> None:
    html = """<head><meta property="og:image" content="/og.jpg"><meta property="og:image:alt" content="Share card">
    <meta name="twitter:image" content="https://cdn.example/tw.png"><meta name="description" content="A shop page"></head>
    <body><h1>Shop</h1></body>"""
    found = images(html)
    og = found["https://shop.example/og.jpg"]
    tw = found["https://cdn.example/tw.png"]
    assert (og.source, og.alt, og.heading, og.context) == ("og", "Share card", "Shop", "A shop page")
    assert tw.source == "twitter"


def test_same_url_twice_merges_context() -> None:
    html = '<meta property="og:image" content="/hero.jpg"><img src="/hero.jpg" alt="Hero shot">'
    found = extract_page(html, PAGE).images
    assert len(found) == 1
    assert found[0].source == "img" or found[0].alt == "Hero shot"
    assert found[0].alt == "Hero shot"


def test_inline_css_background_images() -> None:
    html = """<div class="banner" aria-label="Spring collection" style="background-image: url('/b/spring.jpg'); height: 10px">
    Spring is here and everything is in bloom in our garden centre.</div>
    <section style='background: #fff url("bg.png") no-repeat'>x</section>
    <div style="background-image:url(/c.webp)">y</div>
    <div style="background-image: url(data:image/png;base64,AAAA)"></div>"""
    found = images(html)
    spring = found["https://shop.example/b/spring.jpg"]
    assert spring.source == "css"
    assert spring.aria_label == "Spring collection"
    assert "everything is in bloom" in spring.context
    assert spring.declared_height is None  # a box's height is not the image's
    assert "https://shop.example/catalog/bg.png" in found
    assert "https://shop.example/c.webp" in found
    assert len(found) == 3


def test_links_to_image_files_and_page_links() -> None:
    html = """<a href="/full/poster.JPG">Download the full poster</a>
    <a href="photo.png"><img src="photo-thumb.png" alt="thumb"></a>
    <a href="other.html">Other page</a><a href="/doc.pdf">PDF</a><a href="mailto:x@y.z">m</a>
    <a href="javascript:void(0)">j</a><a href="#top">top</a><a href="https://elsewhere.example/">ext</a>"""
    page = extract_page(html, PAGE)
    found = {i.url: i for i in page.images}
    assert found["https://shop.example/full/poster.JPG"].source == "link"
    assert found["https://shop.example/full/poster.JPG"].alt == "Download the full poster"
    assert found["https://shop.example/catalog/photo.png"].alt == "thumb"  # the link's image alt
    assert found["https://shop.example/catalog/photo-thumb.png"].source == "img"
    assert page.links == [
        "https://shop.example/catalog/other.html",
        "https://shop.example/catalog/page.html",
        "https://elsewhere.example/",
    ]


def test_figcaption_heading_and_bounded_context() -> None:
    filler = "word " * 400
    html = f"""<h1>Catalog</h1><h2>Watches</h2><p>{filler}</p>
    <figure><img src="w.png" alt="Watch"><figcaption>The new   watch, in steel</figcaption></figure>
    <h2>Later heading</h2>"""
    img = one(html)
    assert img.caption == "The new watch, in steel"
    assert img.heading == "Watches"
    assert len(img.context) <= 600


def test_context_is_the_nearby_text_not_scripts() -> None:
    html = """<article><h3>Trail shoes</h3><p>Grippy trail running shoes for wet rocks and muddy paths.
    <img src="shoe.jpg" alt="shoe"></p><script>var secret = "do not index";</script></article>"""
    img = one(html)
    assert "Grippy trail running shoes" in img.context
    assert "secret" not in img.context
    assert img.heading == "Trail shoes"


def test_page_title_fallbacks() -> None:
    assert extract_page("<title> My  page </title>", PAGE).title == "My page"
    assert extract_page('<meta property="og:title" content="OG title">', PAGE).title == "OG title"
    assert extract_page("<h1>Only heading</h1>", PAGE).title == "Only heading"


def test_declared_size_parsing() -> None:
    from selectolax.lexbor import LexborHTMLParser

    node = LexborHTMLParser('<img width="300px" style="height: 150px">').css_first("img")
    assert declared_size(node) == (300, 150)
    node = LexborHTMLParser('<img width="50%" height="auto">').css_first("img")
    assert declared_size(node) == (None, None)


@pytest.mark.parametrize(
    ("src", "placeholder"),
    [(None, True), ("", True), ("data:image/gif;base64,AA", True), ("/img/blank.gif", True),
     ("/lazy-placeholder.png", True), ("/images/placeholder.svg", True), ("/cat.jpg", False)],
)  # fmt: skip
def test_placeholder_detection(src: str | None, placeholder: bool) -> None:
    assert is_placeholder_src(src) is placeholder


def test_non_http_image_urls_ignored() -> None:
    page = extract_page('<img src="ftp://x/y.png"><img src="javascript:alert(1)"><img src="blob:abc">', PAGE)
    assert page.images == []


def test_malformed_html_does_not_break_extraction() -> None:
    img = one("<div><p><img src=a.png alt=unquoted><b>bold<div></span></td></p><p>")
    assert img.url.endswith("/a.png")


def test_rendered_dom_is_extracted_the_same_way() -> None:
    dom = '<html><body><div id="root"><img src="/app/item.webp" alt="Inserted by JS"></div></body></html>'
    assert one(dom).alt == "Inserted by JS"
