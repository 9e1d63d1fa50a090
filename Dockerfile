# Akka.Alerting service image. The Kafka client's native library is the statically linked librdkafka that the
# librdkafka.redist package ships (runtimes/linux-x64/native/centos8-librdkafka.so, copied by the publish):
# no system package is needed for Kafka.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Alerting.Service -c Release -o /app \
 && test -f /app/runtimes/linux-x64/native/centos8-librdkafka.so

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app .
USER 1000
ENTRYPOINT ["dotnet", "Alerting.Service.dll"]
CMD ["run", "--config", "hocon/alerting.conf"]
