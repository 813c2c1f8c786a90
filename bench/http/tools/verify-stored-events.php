<?php

declare(strict_types=1);

// After the load: the stored-events variant's projection must equal its log. Replays
// every stream in SQL and counts the accounts whose projected balance differs (must be 0),
// and checks that no stream has a gap in its versions. PG_SOCKET_DIR names the server.
require '/usr/share/php/Illuminate/Database/autoload.php';
require __DIR__ . '/../app/autoload.php';

$db = Bench\Http\Postgres\Database::connect('bank_stored_events');
$differ = $db->selectOne(<<<'SQL'
    SELECT count(*) AS n FROM accounts a FULL JOIN (
        SELECT aggregate_uuid AS uuid, sum(CASE event_class
            WHEN 'AccountOpened' THEN (event_properties->>'balance')::bigint
            WHEN 'BalanceIncreased' THEN (event_properties->>'amount')::bigint
            WHEN 'MoneyReceived' THEN (event_properties->>'amount')::bigint
            WHEN 'MoneySent' THEN -(event_properties->>'amount')::bigint
        END) AS balance
        FROM stored_events GROUP BY aggregate_uuid
    ) e USING (uuid) WHERE a.balance IS DISTINCT FROM e.balance
    SQL)->n;
$gaps = $db->selectOne('SELECT count(*) AS n FROM (SELECT aggregate_uuid FROM stored_events
    GROUP BY aggregate_uuid HAVING max(aggregate_version) <> count(*)) g')->n;
$events = $db->selectOne('SELECT count(*) AS n FROM stored_events')->n;
if ($differ !== 0 || $gaps !== 0) {
    fwrite(STDERR, "stored_events and the accounts projection disagree: $differ accounts differ, $gaps streams have gaps\n");
    exit(1);
}
echo "  projection matches the $events stored events\n";
