/// The constant runs of the shared event JSON that name the protocol,
/// written verbatim (`TransactionEvent.appendShared`).
extension ApplicationProtocol {
    /// `"type":…,"event":{…,"dataset":…,"start":` for this protocol.
    var eventHead: StaticString {
        switch self {
        case .http: #""type":"http","event":{"kind":"event","category":["network"],"type":["connection","protocol"],"dataset":"http","start":"#
        case .dns: #""type":"dns","event":{"kind":"event","category":["network"],"type":["connection","protocol"],"dataset":"dns","start":"#
        case .redis: #""type":"redis","event":{"kind":"event","category":["network"],"type":["connection","protocol"],"dataset":"redis","start":"#
        case .mysql: #""type":"mysql","event":{"kind":"event","category":["network"],"type":["connection","protocol"],"dataset":"mysql","start":"#
        case .pgsql: #""type":"pgsql","event":{"kind":"event","category":["network"],"type":["connection","protocol"],"dataset":"pgsql","start":"#
        case .memcache: #""type":"memcache","event":{"kind":"event","category":["network"],"type":["connection","protocol"],"dataset":"memcache","start":"#
        case .icmp: #""type":"icmp","event":{"kind":"event","category":["network"],"type":["connection","protocol"],"dataset":"icmp","start":"#
        }
    }

    /// `"protocol":…,"community_id":` for this protocol.
    var networkProtocol: StaticString {
        switch self {
        case .http: #""protocol":"http","community_id":"#
        case .dns: #""protocol":"dns","community_id":"#
        case .redis: #""protocol":"redis","community_id":"#
        case .mysql: #""protocol":"mysql","community_id":"#
        case .pgsql: #""protocol":"pgsql","community_id":"#
        case .memcache: #""protocol":"memcache","community_id":"#
        case .icmp: #""protocol":"icmp","community_id":"#
        }
    }
}
