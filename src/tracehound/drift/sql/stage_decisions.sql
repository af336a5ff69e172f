-- drift_decisions: the decision log, for the decision id and ticket times an escalation needs.
SELECT decision_id, agent_key, ts, sha256, locator,
       json_extract_string(attrs, '$.routing') AS routing,
       json_extract_string(attrs, '$.action_result') AS action_result,
       json_extract_string(attrs, '$.audit_record_id') AS audit_record_id,
       json_extract_string(attrs, '$.ticket_id') AS ticket_id,
       TRY_CAST(json_extract_string(attrs, '$.ticket_opened') AS TIMESTAMP) AS ticket_opened,
       TRY_CAST(json_extract_string(attrs, '$.ticket_resolved') AS TIMESTAMP) AS ticket_resolved,
       coalesce(regexp_matches(lower(concat(coalesce(json_extract_string(attrs, '$.routing'), ''),
                ' ', coalesce(json_extract_string(attrs, '$.action_result'), ''))),
                'escalat|block|den(y|ied)|human|review'), FALSE) AS escalated
FROM drift_source
WHERE source = 'decision:log'
