//! The portable schema shared by both backends (hand-written: only SQL types that SQLite and
//! PostgreSQL share through diesel's `MultiConnection`). `tests/schema.rs` checks that the paired
//! migrations under `migrations/sqlite` and `migrations/postgres` produce exactly these tables.

diesel::table! {
    write_lock (id) {
        id -> BigInt,
        n -> BigInt,
    }
}

diesel::table! {
    departments (code) {
        code -> Text,
        name -> Text,
        description -> Text,
        email -> Nullable<Text>,
        head_email -> Nullable<Text>,
        active -> Bool,
    }
}

diesel::table! {
    radicado_sequences (year, type_digit) {
        year -> BigInt,
        type_digit -> BigInt,
        last_value -> BigInt,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        radicado -> Text,
        radicado_year -> BigInt,
        radicado_seq -> BigInt,
        channel -> Text,
        kind -> Text,
        department -> Text,
        status -> Text,
        priority -> Text,
        tags -> Text,
        needs_review -> Bool,
        subject -> Text,
        citizen_name -> Nullable<Text>,
        citizen_email -> Nullable<Text>,
        citizen_doc_type -> Nullable<Text>,
        citizen_doc_number -> Nullable<Text>,
        citizen_phone -> Nullable<Text>,
        citizen_municipality -> Nullable<Text>,
        received_at -> Timestamp,
        received_month -> Text,
        effective_date -> Date,
        term_days -> Nullable<BigInt>,
        due_date -> Nullable<Date>,
        routing -> Text,
        entities -> Text,
        linked_radicado -> Nullable<Text>,
        annulled_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        responded_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        assigned_to -> Nullable<Text>,
        suspended_on -> Nullable<Date>,
        original_due_date -> Nullable<Date>,
        extended_at -> Nullable<Timestamp>,
        transferred_to -> Nullable<Text>,
        response_radicado -> Nullable<Text>,
        search_text -> Text,
        extension_limit -> Nullable<Date>,
        requerimiento_on -> Nullable<Date>,
        completed_on -> Nullable<Date>,
        citizen_extension -> Bool,
        outcome -> Nullable<Text>,
        priority_reason -> Nullable<Text>,
        clarification -> Bool,
    }
}

diesel::table! {
    alerts_sent (alert_key) {
        alert_key -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        direction -> Text,
        channel -> Text,
        source -> Text,
        dedupe_key -> Text,
        message_id -> Nullable<Text>,
        sha256 -> Text,
        disposition -> Text,
        case_id -> Nullable<BigInt>,
        subject -> Text,
        from_addr -> Nullable<Text>,
        from_name -> Nullable<Text>,
        to_addrs -> Text,
        in_reply_to -> Nullable<Text>,
        references_ids -> Text,
        received_at -> Timestamp,
        received_month -> Text,
        body_text -> Text,
        body_html -> Nullable<Text>,
        headers -> Text,
        raw -> Binary,
        raw_size -> BigInt,
        created_at -> Timestamp,
        reused_message_id -> Bool,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        message_row_id -> BigInt,
        case_id -> Nullable<BigInt>,
        part_index -> BigInt,
        filename -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    case_events (id) {
        id -> BigInt,
        case_id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        event_type -> Text,
        reason -> Nullable<Text>,
        payload -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        case_id -> Nullable<BigInt>,
        purpose -> Text,
        internal -> Bool,
        radicado -> Nullable<Text>,
        to_addr -> Text,
        subject -> Text,
        body_text -> Text,
        message_id -> Text,
        in_reply_to -> Nullable<Text>,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        sent_month -> Nullable<Text>,
        bounce_message_row_id -> Nullable<BigInt>,
        claimed_by -> Nullable<Text>,
    }
}

diesel::table! {
    quarantine (id) {
        id -> BigInt,
        source -> Text,
        source_ref -> Nullable<Text>,
        sha256 -> Text,
        reason -> Text,
        raw -> Binary,
        raw_size -> BigInt,
        received_at -> Timestamp,
        attempts -> BigInt,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    mailbox_checkpoints (mailbox) {
        mailbox -> Text,
        uid_validity -> BigInt,
        last_uid -> BigInt,
        last_success_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    staff_users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        department -> Nullable<Text>,
        active -> Bool,
        failed_logins -> BigInt,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        role -> Text,
        user_id -> Nullable<BigInt>,
        label -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        case_id -> Nullable<BigInt>,
        detail -> Text,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> BigInt,
        csrf -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    monthly_counts (month, channel, kind) {
        month -> Text,
        channel -> Text,
        kind -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    communications (id) {
        id -> BigInt,
        case_id -> BigInt,
        radicado -> Text,
        purpose -> Text,
        channel -> Text,
        addressee_name -> Text,
        addressee_address -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        created_by -> Text,
        outbox_id -> Nullable<BigInt>,
        message_row_id -> Nullable<BigInt>,
        annulled_at -> Nullable<Timestamp>,
        annulled_reason -> Nullable<Text>,
    }
}

diesel::table! {
    routing_examples (case_id) {
        case_id -> BigInt,
        department -> Text,
        kind -> Text,
        labelled_by -> Text,
        labelled_at -> Timestamp,
    }
}

diesel::table! {
    leases (name) {
        name -> Text,
        holder -> Text,
        acquired_at -> Timestamp,
        renewed_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    inbound_spool (id) {
        id -> BigInt,
        raw -> Binary,
        source -> Text,
        source_ref -> Nullable<Text>,
        spooled_at -> Timestamp,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        processed_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    combined_ack_members (outbox_id, case_id) {
        outbox_id -> BigInt,
        case_id -> BigInt,
        radicado -> Text,
        line -> Nullable<Text>,
    }
}

diesel::table! {
    requester_details (case_id) {
        case_id -> BigInt,
        requester_type -> Text,
        razon_social -> Nullable<Text>,
        reply_by -> Nullable<Text>,
        postal_address -> Nullable<Text>,
        region -> Nullable<Text>,
        country -> Nullable<Text>,
        privacy_notice_version -> Nullable<Text>,
    }
}

diesel::table! {
    filing_demographics (case_id) {
        case_id -> BigInt,
        ethnic_group -> Nullable<Text>,
        disability -> Nullable<Text>,
        conflict_victim -> Nullable<Text>,
        gender -> Nullable<Text>,
        age_range -> Nullable<Text>,
    }
}

diesel::table! {
    surveys (id) {
        id -> BigInt,
        case_id -> BigInt,
        token_sha256 -> Nullable<Text>,
        channel -> Text,
        recipient -> Nullable<Text>,
        created_at -> Timestamp,
        answered_at -> Nullable<Timestamp>,
        answered_via -> Nullable<Text>,
        entered_by -> Nullable<Text>,
        satisfaccion -> Nullable<Integer>,
        percepcion -> Nullable<Integer>,
        confianza -> Nullable<Integer>,
        claridad -> Nullable<Integer>,
        comment -> Nullable<Text>,
    }
}

diesel::joinable!(requester_details -> cases (case_id));
diesel::joinable!(filing_demographics -> cases (case_id));
diesel::joinable!(surveys -> cases (case_id));
diesel::joinable!(sessions -> staff_users (user_id));
diesel::joinable!(combined_ack_members -> cases (case_id));
diesel::joinable!(routing_examples -> cases (case_id));
diesel::joinable!(communications -> cases (case_id));
diesel::joinable!(messages -> cases (case_id));
diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(outbox -> cases (case_id));
diesel::joinable!(attachments -> messages (message_row_id));
diesel::joinable!(api_tokens -> staff_users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    surveys,
    write_lock,
    departments,
    radicado_sequences,
    cases,
    messages,
    attachments,
    case_events,
    outbox,
    quarantine,
    mailbox_checkpoints,
    staff_users,
    api_tokens,
    audit_log,
    alerts_sent,
    sessions,
    monthly_counts,
    communications,
    routing_examples,
    leases,
    inbound_spool,
    combined_ack_members,
    requester_details,
    filing_demographics,
);
