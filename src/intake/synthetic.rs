//! Synthetic PQRS mails for benchmarks and crash tests: varied, realistic Spanish text in several
//! encodings (UTF-8 quoted-printable, Windows-1252 8-bit, base64), some with attachments, each
//! with a distinct Message-ID and sender. Deterministic for a given index.

const SUBJECTS: [&str; 8] = [
    "Solicitud de certificado de registro minero",
    "Denuncia por minería ilegal en la vereda",
    "Petición sobre el pago de regalías",
    "Queja por la atención recibida",
    "Consulta sobre autorización temporal",
    "Amparo administrativo: perturbación en mi título",
    "Error en AnnA Minería al radicar el FBM",
    "Sugerencia para la página web",
];

const BODIES: [&str; 6] = [
    "Buenos días, señores de la Agencia. Solicito copia del certificado de registro minero del título con placa JLC-16401, pues lo necesito para un trámite ante el banco. Quedo atento a su respuesta.",
    "Les informo que en la vereda El Cedro del municipio de Segovia hay unas dragas trabajando sin título desde hace dos meses; la quebrada ya está contaminada. Pido que hagan una visita.",
    "Tengo pendientes unos pagos de regalías del año pasado y quiero saber si puedo pagarlos por cuotas. Mi cédula es 15.372.886 y el expediente es 508343.",
    "Fui a la oficina de Nobsa el martes y nadie me atendió; esperé cuatro horas. Espero que tomen medidas para que esto no se repita.",
    "¿Cuáles son los requisitos para solicitar una autorización temporal para la construcción de una vía terciaria en Boyacá?",
    "Unos señores entraron con maquinaria a mi título sin permiso y están sacando material. Necesito que la Agencia intervenga de inmediato.",
];

/// The `i`-th synthetic mail (raw RFC 5322 bytes).
pub fn synthetic_mail(i: usize) -> Vec<u8> {
    let subject = SUBJECTS[i % SUBJECTS.len()];
    let body = BODIES[i % BODIES.len()];
    let day = 1 + (i % 28);
    let hour = 7 + (i % 12);
    let head = format!(
        "Return-Path: <ciudadano{i}@example.com>\r\n\
         Received: from mx.example.com by mail.anm.gov.co; Tue, {day:02} Sep 2026 {hour:02}:{min:02}:00 -0500\r\n\
         Message-ID: <synthetic-{i}@example.com>\r\n\
         Date: Tue, {day:02} Sep 2026 {hour:02}:{min:02}:00 -0500\r\n\
         From: Ciudadano {i} <ciudadano{i}@example.com>\r\n\
         To: contacto@anm.gov.co\r\n\
         Subject: =?utf-8?q?{subj}?=\r\n\
         MIME-Version: 1.0\r\n",
        min = i % 60,
        subj = qp_header(subject),
    );
    let mut out = head.into_bytes();
    match i % 3 {
        0 => {
            out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
            out.extend_from_slice(body.as_bytes());
            out.extend_from_slice(b"\r\n\r\nCordialmente,\r\nUn ciudadano\r\n");
        }
        1 => {
            out.extend_from_slice(b"Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
            out.extend(body.chars().map(|c| u32::from(c).try_into().unwrap_or(b'?')));
            out.extend_from_slice(b"\r\n");
        }
        _ => {
            let attachment: Vec<u8> = (0..(2048 + (i % 7) * 1024)).map(|k| (k * 31 + i) as u8).collect();
            out.extend_from_slice(
                format!(
                    "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n\
                     Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>{body}</p></body></html>\r\n\
                     --b{i}\r\nContent-Type: application/pdf; name=\"soporte-{i}.pdf\"\r\n\
                     Content-Disposition: attachment; filename=\"soporte-{i}.pdf\"\r\n\
                     Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b{i}--\r\n",
                    base64_lines(&attachment)
                )
                .as_bytes(),
            );
        }
    }
    out
}

fn qp_header(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b' ' => o.push('_'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b',' | b':' | b'-' => o.push(b as char),
            _ => o.push_str(&format!("={b:02X}")),
        }
    }
    o
}

fn base64_lines(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for (n, chunk) in data.chunks(3).enumerate() {
        if n > 0 && n % 19 == 0 {
            s.push_str("\r\n");
        }
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                s.push(T[((v >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::parse::{parse_message, ParseOptions};

    #[test]
    fn synthetic_mails_parse_into_distinct_human_messages_with_correct_spanish() {
        let mut ids = std::collections::BTreeSet::new();
        for i in 0..30 {
            let m = parse_message(&synthetic_mail(i), &ParseOptions::default()).unwrap();
            assert!(m.automatic.is_none(), "{i}: {:?}", m.automatic);
            assert!(ids.insert(m.message_id.clone().unwrap()));
            assert!(m.subject.contains('ó') || m.subject.contains('í') || m.subject.contains('e'), "{}", m.subject);
            if i % 3 == 2 {
                assert_eq!(m.attachments.len(), 1);
                assert_eq!(m.attachments[0].size as usize, 2048 + (i % 7) * 1024);
            }
        }
        let m = parse_message(&synthetic_mail(1), &ParseOptions::default()).unwrap();
        assert!(m.body_text.contains("señores") || m.body_text.contains("vereda") || m.body_text.contains("regalías") || m.body_text.contains("Nobsa"), "{}", m.body_text);
    }
}
