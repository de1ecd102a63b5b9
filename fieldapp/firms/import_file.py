"""Reading a firm import file into rows: CSV (UTF-8, or GBK from Chinese Excel, with Chinese or
English column names) or GeoJSON, each row a body for ``FirmImportRow`` with its own errors.
What the rows then do is ``firms.importer``."""

import csv
import io
import json
import re
from dataclasses import dataclass, field

from fieldapp.errors import Problem

# Column names as exported by Chinese spreadsheets, and English ones.
HEADERS = {
    "uscc": "uscc", "统一社会信用代码": "uscc", "信用代码": "uscc", "社会信用代码": "uscc",
    "name": "name", "企业名称": "name", "名称": "name", "单位名称": "name",
    "address": "address", "地址": "address", "注册地址": "address", "经营地址": "address",
    "industry": "industry", "行业": "industry", "所属行业": "industry",
    "tags": "tags", "标签": "tags",
    "org_unit_id": "org_unit_id", "org_unit_code": "org_unit_code", "单位编码": "org_unit_code",
    "属地编码": "org_unit_code",
    "contact_name": "contact_name", "联系人": "contact_name",
    "contact_phone": "contact_phone", "联系电话": "contact_phone", "电话": "contact_phone",
    "contact_role": "contact_role", "职务": "contact_role",
    "site_name": "site_name", "站点名称": "site_name", "厂区名称": "site_name",
    "lat": "lat", "latitude": "lat", "纬度": "lat",
    "lon": "lon", "lng": "lon", "longitude": "lon", "经度": "lon",
    "crs": "crs", "坐标系": "crs",
    "radius_m": "radius_m", "半径": "radius_m", "半径米": "radius_m",
    "boundary": "boundary", "边界": "boundary",
    "uscc_checksum_exempt": "uscc_checksum_exempt", "校验豁免": "uscc_checksum_exempt",
}
TAG_WORDS = {"规上": "above_scale", "规上企业": "above_scale", "专精特新": "specialized",
             "高新": "high_tech", "高新技术": "high_tech", "高新技术企业": "high_tech",
             "重点": "key", "重点企业": "key"}
TRUE_WORDS = {"1", "true", "yes", "y", "是"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否"}
# Schema field paths → the CSV column a person fixes.
CSV_FIELDS = {"sites.0.point.lat": "lat", "sites.0.point.lon": "lon", "sites.0.point": "lat",
              "sites.0.crs": "crs", "sites.0.radius_m": "radius_m", "sites.0.name": "site_name",
              "sites.0.boundary": "boundary", "contacts.0.name": "contact_name",
              "contacts.0.phone": "contact_phone", "contacts.0.role": "contact_role"}


@dataclass
class Row:
    """One input row: its number, its body for the schema, and its errors."""

    number: int
    body: dict | None = None
    data: dict | None = None
    errors: list = field(default_factory=list)

    def fail(self, field_name: str, message: str) -> None:
        self.errors.append({"row": self.number, "field": field_name, "message": message})


def bad_file(field_name: str, message: str) -> Problem:
    """422 for a file that cannot be read as a whole."""
    return Problem(422, "The file cannot be imported.", slug="validation",
                   errors={field_name: [message]})


def decode(raw: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (a BOM is dropped), else GBK/GB18030 as Excel writes."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise bad_file("file", "The file is neither UTF-8 nor GBK text.") from None


def _float(row: Row, column: str, value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        row.fail(column, f"not a number: {value!r}")
        return None


def _tags(value: str) -> list[str]:
    return [TAG_WORDS.get(t, t) for t in re.split(r"[;,|、，；\s]+", value.strip()) if t]


def csv_rows(text: str, default_crs: str) -> list[Row]:
    """Rows of a CSV file, mapped to firm bodies (missing cells left out)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise bad_file("file", "The file is empty.") from None
    except csv.Error as exc:
        raise bad_file("file", f"Not a readable CSV file: {exc}.") from None
    columns = [HEADERS.get(h.strip().lower(), HEADERS.get(h.strip())) for h in header]
    unknown = [h for h, c in zip(header, columns, strict=True) if c is None]
    if unknown:
        raise bad_file("file", f"Unknown column(s) {unknown}; expected some of: "
                               f"{sorted(set(HEADERS.values()))}.")
    missing = {"uscc", "name", "lat", "lon"} - set(columns)
    if missing:
        raise bad_file("file", f"Missing column(s): {sorted(missing)}.")
    rows = []
    try:
        for cells in reader:
            number = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            row = Row(number)
            if len(cells) != len(columns):
                row.fail("_row", f"{len(cells)} cells, but the header has {len(columns)}")
                rows.append(row)
                continue
            values = {c: v.strip() for c, v in zip(columns, cells, strict=True) if v.strip()}
            row.body = _csv_body(row, values, default_crs)
            rows.append(row)
    except csv.Error as exc:
        raise bad_file("file", f"CSV error at line {reader.line_num}: {exc}.") from None
    return rows


def _csv_body(row: Row, v: dict, default_crs: str) -> dict:
    body = {k: v[k] for k in ("uscc", "name", "address", "industry") if k in v}
    if "tags" in v:
        body["tags"] = _tags(v["tags"])
    if "org_unit_id" in v:
        body["org_unit_id"] = int(v["org_unit_id"]) if v["org_unit_id"].isdigit() \
            else v["org_unit_id"]
    if "org_unit_code" in v:
        body["org_unit_code"] = v["org_unit_code"]
    if "contact_name" in v or "contact_phone" in v:
        contact = {"name": v.get("contact_name", "")}
        for key in ("phone", "role"):
            if f"contact_{key}" in v:
                contact[key] = v[f"contact_{key}"]
        body["contacts"] = [contact]
    exempt = v.get("uscc_checksum_exempt", "").lower()
    if exempt in TRUE_WORDS:
        body["uscc_checksum_exempt"] = True
    elif exempt not in FALSE_WORDS:
        row.fail("uscc_checksum_exempt", "expected true/false (是/否)")
    site = {"crs": v.get("crs", default_crs)}
    if "site_name" in v:
        site["name"] = v["site_name"]
    lat = _float(row, "lat", v["lat"]) if "lat" in v else None
    lon = _float(row, "lon", v["lon"]) if "lon" in v else None
    if "lat" not in v or "lon" not in v:
        row.fail("lat" if "lat" not in v else "lon", "is required")
    site["point"] = {"lat": lat, "lon": lon}
    if "radius_m" in v:
        site["radius_m"] = _float(row, "radius_m", v["radius_m"])
    if "boundary" in v:
        try:
            site["boundary"] = json.loads(v["boundary"])
        except (ValueError, RecursionError):
            row.fail("boundary", "not a GeoJSON geometry")
    body["sites"] = [site]
    return body


def geojson_rows(text: str, default_crs: str) -> list[Row]:
    """Rows of a GeoJSON FeatureCollection: each Feature is a firm with one site."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise bad_file("file", "Not valid JSON.") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" \
            or not isinstance(doc.get("features"), list):
        raise bad_file("file", "Expected a GeoJSON FeatureCollection.")
    rows = []
    for i, feature in enumerate(doc["features"], start=1):
        row = Row(i)
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            row.fail("_row", "not a GeoJSON Feature")
        else:
            props = feature.get("properties")
            if not isinstance(props, dict):
                props = {}
            feature = {**feature, "properties": {"crs": default_crs, **props}}
            row.body = feature
        rows.append(row)
    return rows
