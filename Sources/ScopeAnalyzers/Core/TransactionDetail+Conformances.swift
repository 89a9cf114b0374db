import ScopeDecode

extension HTTPTransaction: TransactionDetail {
    var isMatched: Bool { request != nil && response != nil }
}

extension DNSTransaction: TransactionDetail {
    var isMatched: Bool { request != nil && response != nil }

    func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        appendFields(to: &json)
    }
}
