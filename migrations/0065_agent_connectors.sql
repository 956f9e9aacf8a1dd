-- Connectors of kind "agent" (design §14.3): the department's agent, where the hub asks each
-- lookup; the hub stores no rows of such a connector. {url, publicKey}, null for other kinds.
ALTER TABLE "connectors" ADD COLUMN "agent" jsonb;
