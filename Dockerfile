# Akka.Alerting service image (linux-x64). The Kafka client's native library is the statically linked librdkafka
# that the librdkafka.redist package ships as centos8-librdkafka.so (SASL and TLS built in); a linux-x64 publish
# puts it beside the service's assemblies, where Alerting.Kafka's loader looks for it: no system package is needed.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Alerting.Service -c Release -r linux-x64 --self-contained false -o /app \
 && test -f /app/centos8-librdkafka.so \
 && rm -rf /app/librdkafka

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app .
USER 1000
ENTRYPOINT ["dotnet", "Alerting.Service.dll"]
CMD ["run", "--config", "hocon/alerting.conf"]
