-- Supervisors' roster counts each agent's flagged (abusive-language) messages: only
-- flagged agent messages are indexed, so the count reads a handful of rows.
CREATE INDEX ticket_events_flagged_by_agent ON ticket_events (agent_id)
    WHERE kind = 'message' AND sender = 'agent' AND agent_id IS NOT NULL
      AND flagged_terms IS NOT NULL AND flagged_terms <> '';
