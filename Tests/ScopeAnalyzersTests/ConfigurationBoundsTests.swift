import ScopeAnalyzers
import Testing

/// The analyzers' limits keep their bounds however they are set: through
/// the initializer or by assigning a property afterwards.
@Suite struct ConfigurationBoundsTests {
    @Test func settersClampAsTheInitializerDoes() {
        var configuration = AnalyzerConfiguration()
        configuration.maxConnections = 0
        configuration.maxPendingPerConnection = -5
        configuration.maxPendingDNSQueries = 0
        configuration.maxHeaderBytes = 1
        configuration.maxMessageSize = 10
        #expect(configuration.maxConnections == 1)
        #expect(configuration.maxPendingPerConnection == 1)
        #expect(configuration.maxPendingDNSQueries == 1)
        #expect(configuration.maxHeaderBytes == 256)
        #expect(configuration.maxMessageSize == 512)
        #expect(configuration.maxCapturedBody == 512, "a kept body follows a smaller message cap down")
        configuration.maxCapturedBody = 1 << 30
        #expect(configuration.maxCapturedBody == 512)
        configuration.maxConnections = Int.max
        #expect(configuration.maxConnections == 1 << 24)
        let built = AnalyzerConfiguration(maxConnections: 0, maxMessageSize: 10, maxCapturedBody: 1 << 30)
        #expect(built.maxConnections == 1 && built.maxMessageSize == 512 && built.maxCapturedBody == 512)
    }

    @Test func oneRuleForAKeptBody() {
        #expect(AnalyzerConfiguration.allowsCapturedBody(0, maxMessageSize: 512))
        #expect(AnalyzerConfiguration.allowsCapturedBody(512, maxMessageSize: 512))
        #expect(!AnalyzerConfiguration.allowsCapturedBody(513, maxMessageSize: 512))
        #expect(!AnalyzerConfiguration.allowsCapturedBody(-1, maxMessageSize: 512))
    }
}
