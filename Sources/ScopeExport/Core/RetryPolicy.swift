import Foundation

/// Exponential back-off between attempts, honouring the server's
/// `Retry-After` when it asks for longer (never past `maximum`: a server
/// asking for an hour would stall the output; the spool holds the events).
public struct RetryPolicy: Sendable, Equatable {
    public var initial: Double
    public var maximum: Double
    public var multiplier: Double

    public init(initial: Double = 1, maximum: Double = 30, multiplier: Double = 2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// Seconds to wait after `failures` consecutive failures (1 = first).
    public func delay(afterFailures failures: Int, retryAfter: Double?) -> Double {
        let exponent = Double(max(0, failures - 1))
        let backoff = min(maximum, initial * pow(multiplier, min(exponent, 60)))
        guard let retryAfter, retryAfter > backoff else { return backoff }
        return min(maximum, retryAfter)
    }

    /// `Retry-After` as seconds: delay-seconds or an HTTP-date (RFC 9110).
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
