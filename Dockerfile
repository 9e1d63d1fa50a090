# Akka.Alerting service image: Debian's librdkafka under the .NET runtime.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Alerting.Service -c Release -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka1 librdkafka-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
USER 1000
ENTRYPOINT ["dotnet", "Alerting.Service.dll"]
CMD ["run", "--config", "hocon/alerting.conf"]
