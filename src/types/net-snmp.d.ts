// net-snmp ships no types; the engine wraps it in a few typed modules (session-pool,
// des, codec), so the rest of the code never touches it untyped.
declare module 'net-snmp';
