//! `GET /api/v1/openapi.json`: the OpenAPI 3.0 document of the JSON API, built here beside the
//! handlers it describes (kept by hand; `tests/openapi.rs` checks that every `/api/v1` route is
//! documented and, under Schemathesis in CI, that responses match it).

use actix_web::HttpResponse;
use serde_json::{json, Value};

fn error_responses(codes: &[u16]) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    for c in codes {
        let desc = match c {
            400 => "Petición mal formada",
            401 => "Sin credenciales válidas",
            403 => "Sin permiso",
            404 => "No encontrado (o fuera del alcance del usuario)",
            409 => "Acción rechazada por el estado del caso",
            413 => "Demasiado grande",
            415 => "Tipo de contenido no soportado",
            422 => "Datos inválidos, con mensajes por campo",
            429 => "Demasiadas solicitudes",
            503 => "Servicio no disponible",
            _ => "Error",
        };
        m.insert(c.to_string(), json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}));
    }
    m
}

fn responses(ok_code: u16, ok: Value, errors: &[u16]) -> Value {
    let mut m = error_responses(errors);
    m.insert(ok_code.to_string(), ok);
    Value::Object(m)
}

/// The Ley 1712 figures of one group (`crate::reports::PqrsFigures`), each described in Spanish.
fn pqrs_figures() -> Value {
    let mut props = serde_json::Map::new();
    let mut required = Vec::new();
    for (key, _, label) in crate::reports::PQRS_FIGURES {
        let schema = match key {
            "mean_business_days_to_answer" => json!({"type": "number", "nullable": true, "description": label}),
            "max_business_days_to_answer" => json!({"type": "integer", "nullable": true, "description": label}),
            _ => json!({"type": "integer", "minimum": 0, "description": label}),
        };
        props.insert(key.to_string(), schema);
        required.push(key);
    }
    json!({"type": "object", "required": required, "properties": props,
        "description": "Cada caso no anulado está en exactamente una de: respondidas (a tiempo, fuera de término, notificación pendiente, notificación fallida), trasladadas, desistimiento tácito, desistimiento expreso, rechazadas, archivadas sin aclarar (art. 19), en trámite; su suma es recibidas. Las anuladas van aparte."})
}

/// The document.
pub fn document() -> Value {
    let date = json!({"type": "string", "format": "date"});
    let datetime = json!({"type": "string"});
    let nullable_date = json!({"type": "string", "format": "date", "nullable": true});
    let list_params: Vec<Value> = ["status", "department", "kind", "channel", "q", "due", "sort", "next"]
        .iter()
        .map(|n| json!({"name": n, "in": "query", "required": false, "schema": {"type": "string"}}))
        .collect();
    // An outgoing communication (oficio); apart from the document for json!'s recursion limit.
    let communication = json!({"type": "object", "required": ["id", "radicado", "purpose", "channel", "addressee_name", "addressee_address", "subject", "body",
                        "created_at", "created_by", "outbox_id", "annulled_at", "annulled_reason", "outbox_status", "attachments", "oficio_url"], "properties": {
                    "id": {"type": "integer"}, "case_id": {"type": "integer"},
                    "radicado": {"type": "string", "description": "Radicado de salida (tipo 1)"},
                    "purpose": {"type": "string", "description": "respuesta, requerimiento, prorroga, traslado, ..."},
                    "channel": {"type": "string", "enum": ["email", "fisico", "publicacion"]},
                    "addressee_name": {"type": "string"}, "addressee_address": {"type": "string"},
                    "subject": {"type": "string"}, "body": {"type": "string"}, "created_at": datetime, "created_by": {"type": "string"},
                    "outbox_id": {"type": "integer", "nullable": true}, "message_row_id": {"type": "integer", "nullable": true},
                    "annulled_at": {"type": "string", "nullable": true}, "annulled_reason": {"type": "string", "nullable": true},
                    "outbox_status": {"type": "string", "nullable": true, "description": "pending, sending, sent, failed o cancelled; null si no se envía por correo"},
                    "attachments": {"type": "array", "items": {"type": "object", "required": ["id", "filename", "content_type", "size"], "properties": {
                        "id": {"type": "integer"}, "message_row_id": {"type": "integer"}, "part_index": {"type": "integer"},
                        "filename": {"type": "string"}, "content_type": {"type": "string"}, "size": {"type": "integer"}}}},
                    "oficio_url": {"type": "string"}}});
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "pqrs API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Radicación, seguimiento y reportes de PQRS. Mensajes para personas en español; códigos de error estables en `error`."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "Token de `pqrs token create`"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string"}, "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}}}},
                "FilingInput": {"type": "object", "properties": {
                    "anonymous": {"type": "boolean"}, "name": {"type": "string", "maxLength": 200},
                    "document_type": {"type": "string", "enum": ["", "CC", "CE", "NIT", "PA"]},
                    "document_number": {"type": "string", "maxLength": 20}, "email": {"type": "string", "maxLength": 254},
                    "phone": {"type": "string", "maxLength": 30}, "municipality": {"type": "string", "maxLength": 100},
                    "kind": {"type": "string", "enum": ["", "peticion_general", "peticion_documentos", "consulta", "queja", "reclamo", "sugerencia", "denuncia", "entre_autoridades", "felicitacion"]},
                    "subject": {"type": "string", "maxLength": 200}, "message": {"type": "string", "maxLength": 20000},
                    "consent": {"type": "boolean"}, "website": {"type": "string", "description": "Trampa para robots: debe ir vacío"}}},
                "FilingCreated": {"type": "object", "required": ["radicado", "received_at", "due_date", "status_url"], "properties": {
                    "radicado": {"type": "string", "pattern": "^20[0-9]{2}[0-9]{3}[0-9]{6,7}[123]$"},
                    "received_at": datetime, "due_date": nullable_date, "status_url": {"type": "string"}}},
                "StatusQuery": {"type": "object", "required": ["radicado", "email"], "properties": {"radicado": {"type": "string"}, "email": {"type": "string"}}},
                "PublicStatus": {"type": "object", "required": ["radicado", "status", "status_label", "received_at", "due_date", "timeline"], "properties": {
                    "radicado": {"type": "string"}, "status": {"type": "string"}, "status_label": {"type": "string"},
                    "received_at": datetime, "due_date": nullable_date,
                    "timeline": {"type": "array", "items": {"type": "object", "required": ["at", "label"], "properties": {"at": datetime, "label": {"type": "string"}}}}}},
                "MonthRow": {"type": "object", "required": ["month", "name", "correo_contacto", "radicador_web", "incoming", "outgoing", "total"], "properties": {
                    "month": {"type": "integer"}, "name": {"type": "string"}, "correo_contacto": {"type": "integer"}, "radicador_web": {"type": "integer"},
                    "incoming": {"type": "integer"}, "outgoing": {"type": "integer"}, "total": {"type": "integer"}, "internal": {"type": "integer"}}},
                "VirtualChannel": {"type": "object", "required": ["year", "months", "totals"], "properties": {
                    "year": {"type": "integer"}, "months": {"type": "array", "minItems": 12, "maxItems": 12, "items": {"$ref": "#/components/schemas/MonthRow"}},
                    "totals": {"$ref": "#/components/schemas/MonthRow"}}},
                "CaseSummary": {"type": "object", "required": ["radicado", "department", "kind", "status", "channel", "received_at", "due_date", "traffic_light"], "properties": {
                    "radicado": {"type": "string"}, "department": {"type": "string"}, "kind": {"type": "string"}, "status": {"type": "string"},
                    "channel": {"type": "string"}, "priority": {"type": "string"}, "needs_review": {"type": "boolean"}, "subject": {"type": "string"},
                    "citizen_name": {"type": "string", "nullable": true}, "received_at": datetime, "due_date": nullable_date,
                    "days_left": {"type": "integer", "nullable": true}, "traffic_light": {"type": "string", "enum": ["green", "amber", "red", "paused", "none"]}}},
                "CaseList": {"type": "object", "required": ["items", "next"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/CaseSummary"}}, "next": {"type": "string", "nullable": true}}},
                "CaseDetail": {"allOf": [{"$ref": "#/components/schemas/CaseSummary"}, {"type": "object", "required": ["timeline", "messages", "attachments"], "properties": {
                    "timeline": {"type": "array", "items": {"type": "object"}}, "messages": {"type": "array", "items": {"type": "object"}},
                    "attachments": {"type": "array", "items": {"type": "object"}}}}]},
                "ActionRequest": {"type": "object", "required": ["action"], "properties": {
                    "action": {"type": "string", "enum": ["assign", "start", "request_completion", "return_for_clarification", "completion_received", "citizen_extension", "extend", "transfer",
                        "respond", "respond_denying", "reject", "withdraw", "close", "annul", "reclassify", "prioritize"]},
                    "department": {"type": "string"}, "assignee": {"type": "string"}, "reason": {"type": "string"}, "message": {"type": "string"},
                    "new_due": {"type": "string", "format": "date"}, "entity": {"type": "string"}, "text": {"type": "string"}, "kind": {"type": "string"},
                    "date": {"type": "string", "format": "date", "description": "completion_received: the day it arrived; citizen_extension: the day the citizen asked"},
                    "via": {"type": "string", "description": "completion_received: how it arrived (radicado físico, presencial, ...)"},
                    "legal_basis": {"type": "string", "description": "respond_denying: the legal basis of the denial"},
                    "approved_by": {"type": "string", "description": "annul: who approved the annulment"},
                    "priority": {"type": "string", "enum": ["derecho_fundamental", "menor", "discapacidad", "adulto_mayor", "periodista", "otro", "none"]}}}
            }
        },
        "paths": {
            "/healthz": {"get": {"summary": "Estado del servicio", "responses": {
                "200": {"description": "Base de datos disponible", "content": {"application/json": {"schema": {"type": "object", "required": ["status", "database"]}}}},
                "503": {"description": "Base de datos no disponible", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/api/v1/filings": {"post": {
                "summary": "Radicar una PQRS (Radicador Web)",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 200}}],
                "requestBody": {"required": true, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/FilingInput"}},
                    "multipart/form-data": {"schema": {"allOf": [{"$ref": "#/components/schemas/FilingInput"}, {"type": "object", "properties": {"attachments": {"type": "array", "items": {"type": "string", "format": "binary"}}}}]}}}},
                "responses": responses(201, json!({"description": "Radicada", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FilingCreated"}}}}), &[400, 413, 415, 422, 429, 503])}},
            "/api/v1/status": {"post": {
                "summary": "Consultar el estado (radicado + correo)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StatusQuery"}}}},
                "responses": responses(200, json!({"description": "Estado", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PublicStatus"}}}}), &[400, 404, 429, 503])}},
            "/api/v1/metrics/virtual-channel": {"get": {
                "summary": "Correos entrantes y salientes del canal virtual por mes",
                "security": [{"bearer": []}],
                "parameters": [{"name": "year", "in": "query", "required": true, "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}},
                               {"name": "format", "in": "query", "required": false, "schema": {"type": "string", "enum": ["json", "csv"]}}],
                "responses": responses(200, json!({"description": "Reporte", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VirtualChannel"}}, "text/csv": {"schema": {"type": "string"}}}}), &[400, 401, 403, 503])}},
            "/api/v1/metrics/pqrs": {"get": {
                "summary": "Cifras de PQRS (Ley 1712) por tipo, dependencia y canal",
                "security": [{"bearer": []}],
                "parameters": [{"name": "from", "in": "query", "required": true, "schema": date},
                               {"name": "to", "in": "query", "required": true, "schema": date}],
                "responses": responses(200, json!({"description": "Cifras", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PqrsReport"}}}}), &[400, 401, 403, 503])}},
            "/api/v1/cases": {"get": {
                "summary": "Casos del alcance del usuario",
                "security": [{"bearer": []}],
                "parameters": list_params,
                "responses": responses(200, json!({"description": "Página de casos", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CaseList"}}}}), &[400, 401, 403, 503])}},
            "/api/v1/cases/{radicado}": {"get": {
                "summary": "Un caso con su historial",
                "security": [{"bearer": []}],
                "parameters": [{"name": "radicado", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": responses(200, json!({"description": "Caso", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CaseDetail"}}}}), &[401, 403, 404, 503])}},
            "/api/v1/cases/{radicado}/actions": {"post": {
                "summary": "Acción sobre un caso (asignar, requerimiento, prórroga, traslado, responder, cerrar, anular, reclasificar)",
                "security": [{"bearer": []}],
                "parameters": [{"name": "radicado", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActionRequest"}}}},
                "responses": responses(200, json!({"description": "Caso actualizado", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CaseSummary"}}}}), &[400, 401, 403, 404, 409, 422, 503])}},
            "/api/v1/cases/{radicado}/attachments/{id}": {"get": {
                "summary": "Descargar un anexo",
                "security": [{"bearer": []}],
                "parameters": [{"name": "radicado", "in": "path", "required": true, "schema": {"type": "string"}},
                               {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": responses(200, json!({"description": "El archivo", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}), &[400, 401, 403, 404, 503])}}
        }
    });
    // Added apart: one json! of the whole document passes the macro's recursion limit.
    doc["components"]["schemas"]["Communication"] = communication;
    doc["components"]["schemas"]["PqrsFigures"] = pqrs_figures();
    doc["components"]["schemas"]["PqrsReport"] = json!({"type": "object", "required": ["from", "to", "totals", "by_kind", "by_department", "by_channel"], "properties": {
        "from": date, "to": date, "totals": {"$ref": "#/components/schemas/PqrsFigures"},
        "by_kind": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/PqrsFigures"}},
        "by_department": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/PqrsFigures"}},
        "by_channel": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/PqrsFigures"}}}});
    doc["paths"]["/api/v1/metrics/pqrs"]["get"]["parameters"]
        .as_array_mut()
        .expect("parameters")
        .push(json!({"name": "format", "in": "query", "required": false, "schema": {"type": "string", "enum": ["json", "csv"]}}));
    doc["paths"]["/api/v1/metrics/pqrs"]["get"]["responses"]["200"]["content"]["text/csv"] = json!({"schema": {"type": "string"}});
    doc["components"]["schemas"]["CallbackInput"] = json!({"type": "object", "required": ["name", "phone", "topic", "consent"], "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 200}, "phone": {"type": "string", "maxLength": 30, "description": "7 a 15 dígitos; se admiten espacios, + y -"},
        "email": {"type": "string", "maxLength": 254, "description": "Opcional: si se da, se envía el acuse de recibo"},
        "topic": {"type": "string", "minLength": 5, "maxLength": 2000}, "preferred_time": {"type": "string", "maxLength": 200},
        "consent": {"type": "boolean", "description": "Autorización de tratamiento de datos (Ley 1581 de 2012): debe ser true"},
        "website": {"type": "string", "description": "Trampa para robots: debe ir vacío"}}});
    doc["paths"]["/api/v1/callbacks"] = json!({"post": {
                "summary": "Te llamamos: pedir que la entidad llame al ciudadano (canal te_llamamos, con radicado y término)",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 200}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CallbackInput"}}}},
                "responses": responses(201, json!({"description": "Radicada", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FilingCreated"}}}}), &[400, 422, 429, 503])}});
    doc["components"]["schemas"]["CommunicationList"] = json!({"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Communication"}}}});
    doc["paths"]["/api/v1/cases/{radicado}/communications"] = json!({"get": {
                "summary": "Comunicaciones de salida del caso (oficios con radicado de salida, canal, anexos y estado del correo)",
                "security": [{"bearer": []}],
                "parameters": [{"name": "radicado", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": responses(200, json!({"description": "Comunicaciones", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommunicationList"}}}}), &[401, 403, 404, 503])}});
    doc
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
